/** One exported variable of the pipeline environment. */
export interface EnvVar {
  name: string;
  value: string;
  /** Hidden (XXX_ or protected): never logged, masked wherever it appears. */
  hidden: boolean;
  /**
   * Exported exactly as written (single-quoted), not with wercker's encoding where `$` is live:
   * set for every value a werker server sends (docs/wercker-compat.md §3.6). Unset locally.
   */
  literal?: boolean;
}

/**
 * What reaches the pipeline from the host (docs/wercker-compat.md §3.1): X_NAME → NAME (public),
 * XXX_NAME → NAME (hidden), and WERCKER_STARTED_BY / WERCKER_MAIN_PIPELINE_STARTED as they are.
 * Names listed in `secrets` (--secret) are hidden too.
 */
export function passThrough(host: Map<string, string>, secrets: ReadonlySet<string> = new Set()): { mirrored: EnvVar[]; public: EnvVar[]; hidden: EnvVar[] } {
  const mirrored: EnvVar[] = [];
  const pub: EnvVar[] = [];
  const hidden: EnvVar[] = [];
  for (const name of ['WERCKER_STARTED_BY', 'WERCKER_MAIN_PIPELINE_STARTED']) {
    const value = host.get(name);
    if (value !== undefined) mirrored.push({ name, value, hidden: false });
  }
  for (const [key, value] of [...host].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (key.startsWith('XXX_') && key.length > 4) hidden.push({ name: key.slice(4), value, hidden: true });
    else if (key.startsWith('X_') && key.length > 2) {
      const name = key.slice(2);
      (secrets.has(name) ? hidden : pub).push({ name, value, hidden: secrets.has(name) });
    }
  }
  return { mirrored, public: pub, hidden };
}

/**
 * The pipeline env in export order (built-ins, mirrored, X_, then hidden — later wins in the
 * shell). Host-side `$VAR` interpolation checks public values first, then hidden ones
 * (docs/wercker-compat.md §3.4).
 */
export class PipelineEnv {
  constructor(readonly vars: EnvVar[]) {}

  lookup = (name: string): string | undefined => {
    let found: string | undefined;
    for (const v of this.vars) if (!v.hidden && v.name === name) found = v.value;
    if (found !== undefined) return found;
    for (const v of this.vars) if (v.hidden && v.name === name) found = v.value;
    return found;
  };

  /** Values that must never appear in output. */
  secrets(): string[] {
    return this.vars.filter((v) => v.hidden && v.value !== '').map((v) => v.value);
  }

  with(extra: EnvVar[]): PipelineEnv {
    return new PipelineEnv([...this.vars, ...extra]);
  }
}
