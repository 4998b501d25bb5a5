import { connectHost, selectHosts } from '../../deploy/day2-hosts.ts';
import { parseReleaseOptions } from '../../deploy/release-options.ts';
import type { ReleaseSpec, SshHost } from '../../deploy/release-spec.ts';
import { UsageError } from '../../errors.ts';
import { PipelineEnv } from '../../plan/environment.ts';
import type { SshConnection } from '../../runtime/ssh/connection.ts';
import { Masker } from '../../util/mask.ts';
import { resolveDeploySource } from '../deploy-source.ts';
import type { Output } from '../output.ts';
import type { PipelineFlags } from '../pipeline-options.ts';
import { prepareRun } from '../prepare-run.ts';

export interface ReleaseFlags extends PipelineFlags {
  host?: string;
}

/** The release targets of a pipeline, as `werker release …` reaches them. */
export interface ReleaseTargets {
  specs: ReleaseSpec[];
  /** The project the wercker.yml is in (`maintenance-page` is read from it). */
  projectDir: string;
  runId: string;
  mask(text: string): string;
}

/**
 * Reads the pipeline's internal/release steps the way `werker rollback` does: expanded with the
 * pipeline's variables (ENVIRONMENT file, X_/XXX_), no box run. A day-2 command deploys no tag,
 * so a checkout without a commit still finds its servers.
 */
export async function loadReleaseTargets(target: string | undefined, flags: ReleaseFlags, environment: string): Promise<ReleaseTargets> {
  const source = resolveDeploySource(target, flags);
  const plan = await prepareRun('deploy', source.dir, source.flags, environment);
  const steps = [...plan.steps, ...plan.afterSteps].filter((s) => s.kind === 'internal' && s.name === 'release');
  if (!steps.length) throw new UsageError(`pipeline ${plan.pipeline} has no internal/release step, so it has no release servers`, { hint: 'name the pipeline that releases with --pipeline' });
  const env = new Map(plan.env.map((v) => [v.name, v.value]));
  const lookup = (n: string) => (n === 'WERCKER_GIT_COMMIT' ? env.get(n) || 'none' : env.get(n));
  const masker = new Masker(new PipelineEnv(plan.env).secrets());
  const specs = steps.map((step) => {
    const parsed = parseReleaseOptions({ raw: step.properties, lookup, imageMap: plan.options.imageMap });
    if (!parsed.ok) throw new UsageError(`internal/release (step ${step.index}): ${parsed.errors.join('; ')}`);
    return parsed.spec;
  });
  if (flags.host && !specs.some((s) => selectHosts(s, flags.host).length)) {
    throw new UsageError(`--host ${flags.host} is not a host of the pipeline's internal/release steps`, { hint: `its hosts: ${specs.flatMap((s) => s.hosts.map((h) => `${h.host}:${h.port}`)).join(' ')}` });
  }
  return { specs, projectDir: source.dir, runId: plan.runId, mask: (t) => masker.mask(t) };
}

/** Runs `fn` on each selected host of each spec, one after another, each over its own connection. */
export async function forEachHost(t: ReleaseTargets, only: string | undefined, fn: (conn: SshConnection, spec: ReleaseSpec, h: SshHost) => Promise<void>): Promise<void> {
  for (const spec of t.specs) {
    for (const h of selectHosts(spec, only)) {
      const conn = await connectHost(spec, h);
      try {
        await fn(conn, spec, h);
      } finally {
        conn.close();
      }
    }
  }
}

/** Prints through the pipeline's masker. */
export const maskedPrinter = (t: ReleaseTargets, out: Output) => (line: string) => out.stdout(t.mask(line));
