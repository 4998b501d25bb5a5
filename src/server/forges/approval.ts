import { isoNow, type Store } from '../../store/db.ts';
import { inheritedForgeFields } from '../../store/runs.ts';
import { InputError, type ServerContext } from '../context.ts';
import { requireAdmin } from '../policy.ts';
import { requireRun, runOf } from '../run-history.ts';
import type { RunQueue } from '../run-queue.ts';

/**
 * Approving a fork's pull request (Woodpecker's model): its run went without protected variables;
 * an admin who read the change lets it run again with them. The approval is a new run of the same
 * pipeline and commit (like a retry), trusted, with who approved it and when.
 */
export function approvalService(store: Store, queue: RunQueue): Pick<ServerContext, 'approveRun'> {
  return {
    async approveRun(runId, by) {
      requireAdmin(by, 'approve a pull request from a fork');
      const row = await requireRun(store, runId);
      if (row.untrusted !== 1) throw new InputError(`run ${runId} is not an untrusted run (a pull request from a fork): it already runs with the application's variables`, 409);
      if (row.status === 'queued' || row.status === 'running') throw new InputError(`run ${runId} is still ${row.status}; wait for it or cancel it, then approve`, 409);
      const pr = row.pull_request === null ? '' : ` #${row.pull_request}`;
      return runOf(store, await queue.enqueue({
        application_id: row.application_id, pipeline: row.pipeline, kind: row.kind, branch: row.branch, commit_sha: row.commit_sha,
        trigger: row.trigger, triggered_by: `${by.name} (approved pull request${pr})`, workflow: row.workflow, workflow_step: row.workflow_step,
        workflow_run_id: row.workflow_run_id, source_run_id: row.source_run_id, workflow_inputs: row.workflow_inputs, retry_of: row.id,
        ...inheritedForgeFields(row), untrusted: 0, approved_by: by.name, approved_at: isoNow(),
      }));
    },
  };
}
