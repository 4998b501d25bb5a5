import type { RunPlan } from '../plan/types.ts';
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
