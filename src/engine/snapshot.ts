import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { PlannedStep, RunPlan } from '../plan/types.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { commitBox } from './box-commit.ts';
import type { Bus } from './events.ts';
import type { FailedBox, FailureState } from './failure-state.ts';
import {
  SNAPSHOT_LABEL, checkResume, hashText, readSnapshotLabels, recordEnv, restoreEnv, snapshotKey, snapshotLabels, snapshotRef, stepFingerprint,
  SNAPSHOT_REPO,
} from './snapshot-record.ts';

// Snapshots of failed boxes and resuming from them (docs/wercker-compat.md §8.4, werker's own):
// one image per project + pipeline, `werker-snapshot:<key>`, labelled with what a resume checks.

/**
 * Commits the failed box as the project's snapshot, replacing the one before (bounded: the
 * latest per project + pipeline), and removes snapshots of projects whose directory is gone.
 */
export async function takeSnapshot(box: FailedBox, state: FailureState, failed: PlannedStep, sourceHash: string, bus: Bus): Promise<void> {
  const { plan, runtime } = box;
  const key = snapshotKey(plan);
  const ref = snapshotRef(key);
  const info = await runtime.inspectContainer(box.containerId);
  const labels = snapshotLabels({
    key, project: plan.options.snapshotScope ?? plan.projectDir, pipeline: plan.pipeline, run: plan.runId, step: failed.displayName, stepIndex: plan.steps.indexOf(failed),
    ymlHash: existsSync(plan.configFile) ? hashText(readFileSync(plan.configFile, 'utf8')) : '', sourceHash, box: boxWritten(plan), guestRoot: plan.paths.root,
    steps: plan.steps.map(stepFingerprint), env: recordEnv(state.env, plan, failed, info.env),
  });
  const id = await commitBox({ ...box, session: state.session }, SNAPSHOT_REPO, key, `werker snapshot of run ${plan.runId} at ${failed.displayName}`, { config: { Labels: labels } });
  // The ones before, untagged now. A resumed run's snapshot is built on the one it ran in, which
  // then stays as its parent layer (removing it fails, and cleanup takes it with its child).
  const older = await runtime.listImages(`${SNAPSHOT_LABEL}=${key}`);
  for (const image of older) if (image.id !== id) await runtime.removeImage(image.id).catch(() => undefined);
  await pruneOrphans(runtime);
  bus.emit({ type: 'log', level: 'info', text: `kept a snapshot of the box as ${ref}: \`werker ${plan.kind} --resume\` runs again from ${failed.displayName}` });
}

/** The box as planned before a resume replaced it: what a later resume must match. */
function boxWritten(plan: RunPlan): string {
  return plan.options.resume ? plan.options.resume.boxImage : plan.box.image;
}

/** Snapshots whose project directory no longer exists (a removed checkout, a test's temp dir); a runner's scope is no directory. */
async function pruneOrphans(runtime: ContainerRuntime): Promise<void> {
  for (const image of await runtime.listImages(SNAPSHOT_LABEL)) {
    const info = readSnapshotLabels(image.labels);
    if (info?.project && path.isAbsolute(info.project) && !existsSync(info.project)) await runtime.removeImage(image.id).catch(() => undefined);
  }
}

/**
 * `--resume` / `--from-step NAME`: the plan, set to run in the project's snapshot from the step
 * that failed (or NAME). Refused when there is no snapshot, or the box or a step before changed.
 */
export async function resumePlan(plan: RunPlan, runtime: ContainerRuntime, fromStep?: string): Promise<{ plan: RunPlan; notes: string[] }> {
  const ref = snapshotRef(snapshotKey(plan));
  const image = await runtime.inspectImage(ref).catch(() => undefined);
  const info = image && readSnapshotLabels(image.labels);
  if (!info) {
    throw new UsageError(`no snapshot to resume the ${plan.pipeline} pipeline of ${plan.projectDir} from`, {
      hint: 'a run that fails keeps one (unless --no-snapshot); run the pipeline without --resume / --from-step',
    });
  }
  const { fromIndex, notes } = checkResume(info, plan, fromStep);
  const env = restoreEnv(info.env, plan);
  const yml = existsSync(plan.configFile) ? hashText(readFileSync(plan.configFile, 'utf8')) : '';
  if (yml !== info.ymlHash) notes.push(`the wercker.yml changed since run ${info.run}; the steps before ${plan.steps[fromIndex]!.displayName} did not`);
  const resume = { image: ref, boxImage: plan.box.image, fromIndex, env, run: info.run, failedStep: info.step, sourceHash: info.sourceHash };
  return { plan: { ...plan, box: { ...plan.box, image: ref }, options: { ...plan.options, resume } }, notes };
}

/** `werker cleanup`: every snapshot, newest first (a resumed run's snapshot sits on the one before). */
export async function removeSnapshots(runtime: ContainerRuntime): Promise<string[]> {
  const removed: string[] = [];
  for (const image of await runtime.listImages(SNAPSHOT_LABEL)) {
    const info = readSnapshotLabels(image.labels);
    const gone = await runtime.removeImage(image.id).then(() => true, () => false);
    if (gone && image.tags.length) removed.push(`${image.tags.join(', ')} (${info?.pipeline ?? '?'} of ${info?.project ?? '?'}, failed at ${info?.step ?? '?'})`);
  }
  return removed;
}

/** The steps a resumed run runs: wercker-init, then the steps from the resumed one on. */
export function stepsFromResume(plan: RunPlan): { run: PlannedStep[]; skipped: PlannedStep[] } | undefined {
  const r = plan.options.resume;
  if (!r) return undefined;
  const init = plan.steps.filter((s) => s.kind === 'init');
  return { run: [...init, ...plan.steps.slice(r.fromIndex)], skipped: plan.steps.slice(0, r.fromIndex).filter((s) => s.kind !== 'init') };
}
