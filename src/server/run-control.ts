import { isoNow, type Store } from '../store/db.ts';
import { getRunRow, inheritedForgeFields, type NewRun, type RunRow } from '../store/runs.ts';
import { InputError, type ServerContext } from './context.ts';
import { OutputRemovedError } from './retention.ts';
import { finalEvent, type RunRecorder } from './run-events.ts';
import { requireRun, runOf } from './run-history.ts';
import type { RunQueue } from './run-queue.ts';
import { byName } from './triggering.ts';

type ControlMembers = Pick<ServerContext, 'cancelRun' | 'retryRun'>;

/** Cancelling a run (a queued one at once, a running one through its runner) and queueing it again. */
export function runControl(store: Store, recorder: RunRecorder, queue: RunQueue): ControlMembers {
  return {
    async cancelRun(runId, by) {
      const row = await requireRun(store, runId);
      const who = byName(by);
      if (row.status === 'queued') {
        const done = await recorder.record(runId, [{ type: 'log', level: 'info', text: `cancelled by ${who} before it started` }, finalEvent('cancelled', 0)],
          (r) => r.status === 'queued', () => ({ status: 'cancelled', finished_at: isoNow(), duration_ms: 0, message: `cancelled by ${who}` }));
        if (done) return runOf(store, done);
      }
      // A running run stops through its runner: the heartbeat answers `cancel`.
      const done = await recorder.record(runId, [{ type: 'log', level: 'info', text: `cancel requested by ${who}; stopping the run` }],
        (r) => r.status === 'running' && r.cancel_requested === 0, () => ({ cancel_requested: 1, message: `cancelled by ${who}` }));
      return runOf(store, done ?? (await requireRun(store, runId)));
    },
    async retryRun(runId, by, options = {}) {
      const row = await requireRun(store, runId);
      if (row.status === 'queued' || row.status === 'running') throw new InputError(`run ${runId} is still ${row.status}; cancel it first`, 409);
      const source = row.source_run_id === null ? undefined : await getRunRow(store, row.source_run_id);
      if (source?.output_removed_at) throw new InputError(new OutputRemovedError(source.id, source.output_removed_at).fullMessage(), 409);
      const resume = options.fromStep === undefined ? undefined : resumeFrom(row, options.fromStep);
      const queued = await queue.enqueue({
        application_id: row.application_id, pipeline: row.pipeline, kind: row.kind, branch: row.branch, commit_sha: row.commit_sha,
        trigger: 'retry', triggered_by: byName(by), workflow: row.workflow, workflow_step: row.workflow_step, workflow_run_id: row.workflow_run_id,
        source_run_id: row.source_run_id, workflow_inputs: row.workflow_inputs, retry_of: row.id, ...inheritedForgeFields(row), ...(resume?.fields ?? {}),
      });
      // The embedded runner may have taken it already: the note goes in all the same.
      if (resume) await recorder.record(queued.id, [{ type: 'log', level: resume.fields ? 'info' : 'warn', text: resume.note }], (r) => r.status === 'queued' || r.status === 'running');
      return runOf(store, (await getRunRow(store, queued.id)) ?? queued);
    },
  };
}

/** How long a retry from a step waits for the runner holding the snapshot before any runner may take it (from the start). */
const SNAPSHOT_RUNNER_WAIT_MS = 10 * 60_000;

/** A retry from `step`: queued for the runner holding the run's snapshot, or from the start when there is none (the note says which). */
function resumeFrom(row: RunRow, step: string): { fields?: Pick<NewRun, 'resume_from' | 'for_runner' | 'for_runner_until'>; note: string } {
  if (row.status !== 'failed') throw new InputError(`run ${row.id} did not fail: "retry from a step" resumes a failed run; use retry`, 409);
  if (!row.snapshot_step || !row.runner) {
    return { note: `retry of run ${row.id} from step ${step}: run ${row.id} left no snapshot of its box (it failed before a step ran, or is older than snapshots on the server), so this run starts from the beginning` };
  }
  if (row.snapshot_step !== step) {
    throw new InputError(`run ${row.id} failed at step "${row.snapshot_step}", not "${step}": retry from the failed step, or retry the whole run`, 409);
  }
  return {
    fields: { resume_from: JSON.stringify({ run: row.id, fromStep: step }), for_runner: row.runner, for_runner_until: isoNow(SNAPSHOT_RUNNER_WAIT_MS) },
    note: `retry of run ${row.id} from step ${step}: queued for runner ${row.runner}, which keeps the snapshot of its box (any runner takes it after ${SNAPSHOT_RUNNER_WAIT_MS / 60_000} min, from the start)`,
  };
}
