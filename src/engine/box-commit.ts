import { parseImageRef } from '../plan/image-ref.ts';
import type { PlannedStep, RunPlan } from '../plan/types.ts';
import type { CommitOptions, ContainerRuntime } from '../runtime/runtime.ts';
import type { Bus } from './events.ts';
import { OWNER_LABEL, RUN_LABEL } from './labels.ts';
import type { ShellSession } from './shell-session.ts';

/** What a commit needs of the running box: the plan, the engine, the box and its shell. */
export interface BoxHandle { plan: RunPlan; runtime: ContainerRuntime; containerId: string; session: ShellSession }

/**
 * Removes the steps' copies of their dirs from /pipeline before a commit, so the image carries
 * none of werker's files (its scripts, wercker-init's functions). Each step copies its dir in
 * again when it starts (step-runner.ts), so later steps are unaffected.
 */
async function removeStepCopies(plan: RunPlan, session: ShellSession): Promise<void> {
  const dirs = [...plan.steps, ...plan.afterSteps].filter((s) => s.kind !== 'internal').map((s) => `"${plan.paths.root}/${s.safeId}"`);
  const r = await session.run([`rm -rf ${dirs.join(' ')}`], {});
  if (r.kind !== 'exited' || r.status !== 0) throw new Error(`could not remove werker's step files from ${plan.paths.root} before the commit`);
}

/**
 * Commits the box as `repo:tag` — for `--commit`, checkpoints, local services and
 * internal/docker-push's commit mode alike. werker's own files (the steps' copies of their dirs
 * in /pipeline) are removed first, so the image carries none of them, and the run's labels are
 * blanked under any the caller sets: werker's cleanup would otherwise take containers of the
 * image for a dead run's leftovers.
 */
export async function commitBox(
  box: BoxHandle, repo: string, tag: string, message: string,
  extra: { config?: NonNullable<CommitOptions['config']>; author?: string } = {},
): Promise<string> {
  await removeStepCopies(box.plan, box.session);
  const config = { ...extra.config, Labels: { [RUN_LABEL]: '', [OWNER_LABEL]: '', ...extra.config?.Labels } };
  return box.runtime.commitContainer(box.containerId, { repo, tag, message, config, ...(extra.author ? { author: extra.author } : {}) });
}

/**
 * `--commit REPO` (docs/wercker-compat.md §4.10): the tag is `--tag` (or $WERCKER_GIT_BRANCH on
 * the host), else the run's git branch, with `/` → `_`; empty, `latest` for a build and
 * `run-<run id>` for a deploy. The message is `--message`, else `Run <run id>`.
 */
export function commitTarget(plan: RunPlan): { repo: string; tag: string; message: string } | undefined {
  const c = plan.options.commit;
  if (!c) return undefined;
  const branch = plan.env.filter((v) => v.name === 'WERCKER_GIT_BRANCH').at(-1)?.value ?? '';
  const tag = (c.tag || branch).replaceAll('/', '_') || (plan.kind === 'deploy' ? `run-${plan.runId}` : 'latest');
  return { repo: c.repo.toLowerCase(), tag, message: c.message || `Run ${plan.runId}` };
}

/** After the main steps passed, `--commit` commits the box (before the artifacts are stored). */
export async function commitAfterSteps(box: BoxHandle, bus: Bus): Promise<void> {
  const target = commitTarget(box.plan);
  if (!target) return;
  await commitBox(box, target.repo, target.tag, target.message);
  bus.emit({ type: 'log', level: 'info', text: `committed the box as ${target.repo}:${target.tag}` });
}

/** §8.4: a passing step with `checkpoint: N` commits the box as `<box repository>:w-N`. */
export async function commitCheckpoint(box: BoxHandle, step: PlannedStep, bus: Bus): Promise<void> {
  if (step.checkpoint === undefined) return;
  const { plan } = box;
  const { repository } = parseImageRef(plan.box.image);
  await commitBox(box, repository, `w-${step.checkpoint}`, `Checkpoint ${step.checkpoint} of run ${plan.runId}`);
  bus.emit({ type: 'log', level: 'info', text: `Checkpoint ${step.checkpoint}: committed the box as ${repository}:w-${step.checkpoint}` });
}

/**
 * `--checkpoint N` with dev steps on (§8.4): the main steps after the one labelled N (wercker-init
 * still runs first). Without such a step, or with dev steps off, every step runs.
 */
export function stepsAfterCheckpoint(plan: RunPlan): { run: PlannedStep[]; skipped: PlannedStep[] } {
  const cp = plan.options.checkpoint;
  const at = cp?.skip ? plan.steps.findIndex((s) => s.checkpoint === cp.name) : -1;
  if (at < 0) return { run: plan.steps, skipped: [] };
  const init = plan.steps.filter((s) => s.kind === 'init');
  return { run: [...init, ...plan.steps.slice(at + 1)], skipped: plan.steps.slice(0, at + 1).filter((s) => s.kind !== 'init') };
}
