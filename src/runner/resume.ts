import { resumePlan } from '../engine/snapshot.ts';
import { readSnapshotLabels, snapshotKey, snapshotRef } from '../engine/snapshot-record.ts';
import type { RunPlan } from '../plan/types.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { Job } from './protocol.ts';

// "Retry from this step" on a runner (docs/wercker-compat.md §8.4, werker's own): a failed run
// leaves a snapshot of its box on the runner that ran it (one per application + pipeline); the
// retry, queued for that runner, resumes in it, or says why it runs from the start.

/** What a server run's snapshot belongs to: the application and pipeline, not the run's temp checkout. */
export const snapshotScope = (job: Job): string => `werker-server:${job.application.id}:${job.application.name}`;

/** The job's plan set to resume from its snapshot when this runner has the one it asks for; else the plan as it was, with a log line saying why. */
export async function resumeOrStart(plan: RunPlan, job: Job, runtime: ContainerRuntime, log: (text: string, level?: 'info' | 'warn') => void): Promise<RunPlan> {
  const want = job.resume;
  if (!want) return plan;
  const fromStart = (why: string) => {
    log(`retry from step ${want.fromStep} of run ${want.run}: ${why}; running the pipeline from the start`, 'warn');
    return plan;
  };
  const image = await runtime.inspectImage(snapshotRef(snapshotKey(plan))).catch(() => undefined);
  const info = image && readSnapshotLabels(image.labels);
  if (!info) return fromStart('this runner has no snapshot of it (another runner ran it, or the snapshot was removed)');
  if (!info.run.startsWith(`${job.application.name}-${want.run}-`)) return fromStart(`this runner's snapshot is of a later run (${info.run})`);
  try {
    const resumed = await resumePlan(plan, runtime, want.fromStep);
    for (const note of resumed.notes) log(note);
    return resumed.plan;
  } catch (err) {
    return fromStart((err as Error).message);
  }
}

/** The step a failed run's snapshot was taken at, when this run left one. */
export async function snapshotStepOf(plan: RunPlan, runtime: ContainerRuntime): Promise<string | undefined> {
  const image = await runtime.inspectImage(snapshotRef(snapshotKey(plan))).catch(() => undefined);
  const info = image && readSnapshotLabels(image.labels);
  return info && info.run === plan.runId ? info.step : undefined;
}
