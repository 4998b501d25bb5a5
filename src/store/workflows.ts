import type { Store } from './db.ts';
import type { RunRow } from './runs.ts';

/** Every run of one workflow run (the group is its first run's id), oldest first. */
export async function workflowGroupRuns(store: Store, group: number): Promise<RunRow[]> {
  return store.db.selectFrom('runs').selectAll().where('workflow_run_id', '=', group).orderBy('id').execute();
}

/** Makes a workflow's first run the id of its group. */
export async function openWorkflowGroup(store: Store, runId: number): Promise<void> {
  await store.db.updateTable('runs').set({ workflow_run_id: runId }).where('id', '=', runId).execute();
}
