import { localActor, releaseOnHosts } from '../../deploy/hosts.ts';
import { locateOptionErrors } from '../../deploy/option-errors.ts';
import { parseReleaseOptions } from '../../deploy/release-options.ts';
import { UsageError } from '../../errors.ts';
import { PipelineEnv } from '../../plan/environment.ts';
import { Masker } from '../../util/mask.ts';
import { resolveDeploySource } from '../deploy-source.ts';
import type { Output } from '../output.ts';
import type { PipelineFlags } from '../pipeline-options.ts';
import { prepareRun } from '../prepare-run.ts';

/**
 * `werker rollback [PATH] --pipeline deploy`: returns every host of the pipeline's
 * internal/release steps to its previous release, the way a deploy switches (start it, health
 * gate, nginx switch, drain, stop the other), under the same lock. No box runs: the options are
 * expanded with the pipeline's variables (ENVIRONMENT file, X_/XXX_), not with what earlier
 * steps would export. Rolling back twice goes forward again.
 */
export async function rollbackCommand(target: string | undefined, flags: PipelineFlags, global: { environment: string }, out: Output): Promise<number> {
  const source = resolveDeploySource(target, flags);
  const plan = await prepareRun('deploy', source.dir, source.flags, global.environment);
  const steps = [...plan.steps, ...plan.afterSteps].filter((s) => s.kind === 'internal' && s.name === 'release');
  if (!steps.length) throw new UsageError(`pipeline ${plan.pipeline} has no internal/release step, so there is nothing to roll back`, { hint: 'name the pipeline that releases with --pipeline' });
  const masker = new Masker(new PipelineEnv(plan.env).secrets());
  const env = new Map(plan.env.map((v) => [v.name, v.value]));
  const print = (line: string) => out.stdout(masker.mask(line));
  for (const step of steps) {
    const parsed = parseReleaseOptions({ raw: step.properties, lookup: (n) => env.get(n), imageMap: plan.options.imageMap });
    if (!parsed.ok) throw new UsageError(locateOptionErrors(parsed.errors, plan.configFile, plan.pipeline, step).join('\n'));
    await releaseOnHosts(parsed.spec, localActor(plan.runId), { print }, 'rollback');
  }
  print('rolled back');
  return 0;
}
