import { parseImageRef } from '../plan/image-ref.ts';
import type { PlannedStep, RunPlan } from '../plan/types.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { Bus } from './events.ts';
import { OWNER_LABEL, RUN_LABEL } from './labels.ts';

/**
 * Commits the box as `repo:tag`. As in internal/docker-push's commit mode, werker's own files
 * (step dirs, reports, the cache) are mounts and so never in the image, and the run's labels are
 * blanked: werker's cleanup would otherwise take containers of the image for a dead run's leftovers.
 */
export async function commitBox(runtime: ContainerRuntime, containerId: string, repo: string, tag: string, message: string): Promise<string> {
  return runtime.commitContainer(containerId, { repo, tag, message, config: { Labels: { [RUN_LABEL]: '', [OWNER_LABEL]: '' } } });
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
export async function commitAfterSteps(plan: RunPlan, runtime: ContainerRuntime, containerId: string, bus: Bus): Promise<void> {
  const target = commitTarget(plan);
  if (!target) return;
  await commitBox(runtime, containerId, target.repo, target.tag, target.message);
  bus.emit({ type: 'log', level: 'info', text: `Committed the box as ${target.repo}:${target.tag}` });
}

/** §8.4: a passing step with `checkpoint: N` commits the box as `<box repository>:w-N`. */
export async function commitCheckpoint(plan: RunPlan, runtime: ContainerRuntime, containerId: string, step: PlannedStep, bus: Bus): Promise<void> {
  if (step.checkpoint === undefined) return;
  const { repository } = parseImageRef(plan.box.image);
  await commitBox(runtime, containerId, repository, `w-${step.checkpoint}`, `Checkpoint ${step.checkpoint} of run ${plan.runId}`);
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
