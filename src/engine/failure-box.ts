import type { PlannedStep } from '../plan/types.ts';
import type { Bus } from './events.ts';
import { boxShell, openFailureShell, shellEnv } from './failure-shell.ts';
import { keepsFailureState, readFailureState, type FailedBox, type FailureState } from './failure-state.ts';
import type { RunDeps } from './run-types.ts';
import type { SessionOptions } from './shell-session.ts';
import { takeSnapshot } from './snapshot.ts';
import type { StepOutcome } from './step-context.ts';

/**
 * What happens to the box when a main step fails, before the after-steps (docs/wercker-compat.md
 * §8.4, werker's own): the shell on failure, then the snapshot (so what the user changed in the
 * shell is in it). Neither can fail the run: a problem is said and the run goes on.
 */
export async function afterFailure(
  box: FailedBox, failed: PlannedStep, outcome: StepOutcome, deps: RunDeps, sourceHash: string, opts: SessionOptions,
): Promise<void> {
  const { plan } = box;
  const { bus } = deps;
  if (!keepsFailureState(plan) || outcome.status !== 'failed') return;
  const state = await failedStepState(box, failed, outcome, bus, opts);
  if (!state) return;
  try {
    if (plan.options.shellOnFailure) await shellInFailedStep(box, failed, outcome, deps, state);
    if (deps.holdFailedBox && !deps.signal?.aborted) {
      const env = shellEnv(state.env);
      await deps.holdFailedBox({
        runtime: box.runtime, containerId: box.containerId, env, cwd: state.cwd, step: failed.displayName, exitCode: outcome.exitCode,
        shell: () => boxShell(box.runtime, box.containerId, plan),
      }).catch((err: unknown) => warn(bus, `the failed box's terminal ended with an error: ${(err as Error).message}`));
    }
    // wercker-init failing leaves nothing a resume could skip.
    if (plan.options.snapshot && failed.kind !== 'init' && !deps.signal?.aborted) {
      await takeSnapshot(box, state, failed, sourceHash, bus).catch((err: unknown) => warn(bus, `could not keep a snapshot of the box: ${(err as Error).message}`));
    }
  } finally {
    if (state.restarted) state.session.close();
  }
}

/**
 * An after-step failed: wercker's --attach-on-error attached after any failed step, after-steps
 * included (docs/wercker-compat.md §4.7), and so does --shell-on-failure. No snapshot: a resume
 * starts from a main step. Leaving the shell goes on with the cleanup.
 */
export async function afterStepFailure(box: FailedBox, failed: PlannedStep, outcome: StepOutcome, deps: RunDeps, opts: SessionOptions): Promise<void> {
  const { plan } = box;
  if (!plan.options.shellOnFailure || outcome.status !== 'failed') return;
  const state = await failedStepState(box, failed, outcome, deps.bus, opts);
  if (!state) return;
  try {
    await shellInFailedStep(box, failed, outcome, deps, state, 'the cleanup');
  } finally {
    if (state.restarted) state.session.close();
  }
}

/** The failed step's shell state: its env and dir, or a restarted box's when it cannot be read (said). */
async function failedStepState(box: FailedBox, failed: PlannedStep, outcome: StepOutcome, bus: Bus, opts: SessionOptions): Promise<FailureState | undefined> {
  // A timeout (no exit code) leaves the step's command running in the shell. An internal step
  // runs on the engine, not in the shell: its failure (no exit code either) leaves the shell idle.
  const busy = outcome.exitCode === null && failed.kind !== 'internal' && box.session.alive;
  if (busy) bus.emit({ type: 'log', level: 'warn', text: `step ${failed.displayName} was still running: the box is started again, so its environment and directory are lost (its files stay)` });
  return readFailureState(box, opts, busy).catch((err: unknown) => warn(bus, `could not read the failed step's state: ${(err as Error).message}`));
}

/** `then`: what the run goes on with once the shell is left (openFailureShell's default: the after-steps and cleanup). */
function shellInFailedStep(box: FailedBox, failed: PlannedStep, outcome: StepOutcome, deps: RunDeps, state: FailureState, then?: string): Promise<void> {
  return openFailureShell({
    plan: box.plan, runtime: box.runtime, containerId: box.containerId, bus: deps.bus, terminal: deps.terminal, step: failed, exitCode: outcome.exitCode, state,
    ...(then ? { then } : {}), ...(deps.signal ? { signal: deps.signal } : {}),
  });
}

function warn(bus: Bus, text: string): undefined {
  bus.emit({ type: 'log', level: 'warn', text });
  return undefined;
}
