import type { PlannedStep } from '../../plan/types.ts';
import type { StepOutcome } from '../step-context.ts';
import { StepOptions, type InternalContext } from './context.ts';
import { loadInternalStep } from './internal-steps.ts';
import { readShellEnv } from './sync.ts';
import { pipelineEnv as currentPipelineEnv, rememberSync } from './synced-env.ts';

/**
 * Runs an internal step on the host side: sync the shell's env when the step wants it (unless
 * `disable-sync: true`), expand its options against that env, and call it. An error in the
 * engine call (push refused, image missing) fails the step with the engine's message.
 */
export async function runInternal(ctx: InternalContext, step: PlannedStep): Promise<StepOutcome> {
  const impl = await loadInternalStep(step.name);
  if (!impl) return { status: 'failed', exitCode: null, message: `werker has no internal step ${step.id}` };
  const pipelineEnv = currentPipelineEnv(ctx.plan);
  const sync = impl.sync && step.properties['disable-sync'] !== 'true';
  const env = sync ? new Map([...pipelineEnv, ...(await readShellEnv(ctx.session))]) : pipelineEnv;
  // docs/wercker-compat.md §3.4: the synced env is the run's pipeline env from now on.
  if (sync) rememberSync(ctx.plan, env);
  try {
    return await impl.run(ctx, step, new StepOptions(step.properties, env));
  } catch (err) {
    const e = err as Error & { hint?: string };
    return { status: 'failed', exitCode: null, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  }
}
