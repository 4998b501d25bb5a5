import type { RunPlan } from '../plan/types.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { Bus } from './events.ts';
import { OWNER_LABEL, RUN_LABEL } from './labels.ts';
import type { ShellSession } from './shell-session.ts';

/**
 * Removes the steps' copies of their dirs from /pipeline before a commit, so the image carries
 * none of werker's files (its scripts, wercker-init's functions). Each step copies its dir in
 * again when it starts (step-runner.ts), so later steps are unaffected.
 */
export async function removeStepCopies(plan: RunPlan, session: ShellSession): Promise<void> {
  const dirs = [...plan.steps, ...plan.afterSteps].filter((s) => s.kind !== 'internal').map((s) => `"${plan.paths.root}/${s.safeId}"`);
  const r = await session.run([`rm -rf ${dirs.join(' ')}`], {});
  if (r.kind !== 'exited' || r.status !== 0) throw new Error(`could not remove werker's step files from ${plan.paths.root} before the commit`);
}

/**
 * `--commit` (docs/wercker-compat.md §4.10; a local service's nested build, §5.4): once the steps
 * passed, the box is committed as the repository and tag given. The run's labels are blanked, so
 * containers of the image are never taken for a dead run's leftovers.
 */
export async function commitBox(plan: RunPlan, runtime: ContainerRuntime, boxId: string, session: ShellSession, bus: Bus): Promise<void> {
  const commit = plan.options.commit;
  if (!commit) return;
  await removeStepCopies(plan, session);
  await runtime.commitContainer(boxId, { repo: commit.repo, tag: commit.tag, message: commit.message, config: { Labels: { [RUN_LABEL]: '', [OWNER_LABEL]: '' } } });
  bus.emit({ type: 'log', level: 'info', text: `committed the box as ${commit.repo}:${commit.tag}` });
}
