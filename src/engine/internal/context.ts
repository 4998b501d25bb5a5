import { expandVars } from '../../config/interpolate.ts';
import type { PlannedStep } from '../../plan/types.ts';
import { shellSplit } from '../../util/shell-words.ts';
import type { StepContext, StepOutcome } from '../step-context.ts';

/** What an internal step gets: the step context, plus the network and labels of the run. */
export interface InternalContext extends StepContext {
  network: string;
  labels: Record<string, string>;
  /** Prints a line as the step's output (the bus masks it). */
  print(line: string): void;
}

export interface InternalStep {
  /**
   * Read the shell's environment first (docs/wercker-compat.md §6 "sync"), so options see earlier
   * exports.
   */
  sync: boolean;
  run(ctx: InternalContext, step: PlannedStep, options: StepOptions): Promise<StepOutcome>;
}

export const failed = (message: string, hint?: string): StepOutcome => ({ status: 'failed', exitCode: 1, message, ...(hint ? { hint } : {}) });
export const passed = (): StepOutcome => ({ status: 'passed', exitCode: 0 });

/**
 * An internal step's options: raw, or `$VAR`-expanded from the (synced) environment (the (I)
 * options of docs/wercker-compat.md §2.6).
 */
export class StepOptions {
  constructor(readonly raw: Record<string, string>, readonly env: Map<string, string>) {}

  has(name: string): boolean {
    return this.raw[name] !== undefined && this.raw[name] !== '';
  }
  /** The option with `$VAR` expanded. */
  get(name: string, fallback = ''): string {
    const v = this.raw[name];
    return v === undefined ? fallback : expandVars(v, (n) => this.env.get(n));
  }
  /** Not expanded (cmd, entrypoint, docker-kill's name). */
  literal(name: string): string | undefined {
    return this.raw[name];
  }
  bool(name: string): boolean {
    return this.get(name) === 'true';
  }
  /** A space/comma separated list. */
  list(name: string): string[] {
    return this.get(name).split(/[\s,]+/).filter(Boolean);
  }
  /** Shell-split words (`env: A=1 B='x y'`). */
  words(name: string): string[] {
    const v = this.get(name);
    return v ? shellSplit(v) : [];
  }
  /** Shell-split `k=v` words; a word without exactly one `=` is an error. */
  pairs(name: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const w of this.words(name)) {
      const eq = w.indexOf('=');
      if (eq <= 0) throw new Error(`${name}: "${w}" is not key=value`);
      out[w.slice(0, eq)] = w.slice(eq + 1);
    }
    return out;
  }
}
