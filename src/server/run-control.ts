import { isoNow, type Store } from '../store/db.ts';
import { getRunRow, inheritedForgeFields } from '../store/runs.ts';
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
    async retryRun(runId, by) {
      const row = await requireRun(store, runId);
      if (row.status === 'queued' || row.status === 'running') throw new InputError(`run ${runId} is still ${row.status}; cancel it first`, 409);
      const source = row.source_run_id === null ? undefined : await getRunRow(store, row.source_run_id);
      if (source?.output_removed_at) throw new InputError(new OutputRemovedError(source.id, source.output_removed_at).fullMessage(), 409);
      return runOf(store, await queue.enqueue({
        application_id: row.application_id, pipeline: row.pipeline, kind: row.kind, branch: row.branch, commit_sha: row.commit_sha,
        trigger: 'retry', triggered_by: byName(by), workflow: row.workflow, workflow_step: row.workflow_step, workflow_run_id: row.workflow_run_id,
        source_run_id: row.source_run_id, workflow_inputs: row.workflow_inputs, retry_of: row.id, ...inheritedForgeFields(row),
      }));
    },
  };
}
