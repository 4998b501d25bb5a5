import type { Store } from './db.ts';
import type { RunRow } from './runs.ts';

/**
 * The stored outputs the retention sweep may delete: of finished runs that finished before
 * `cutoff` (ISO text), except the newest passed output of each application + pipeline + branch
 * (a later deploy of the latest build must still work) and the sources of runs still queued or
 * running: a deploy's source run, and every output a workflow step reads (a step that requires
 * several pipelines has no single source run; its inputs are in `workflow_inputs`). The same SQL
 * on SQLite and PostgreSQL.
 */
export async function expiredOutputs(store: Store, cutoff: string, limit = 500): Promise<Pick<RunRow, 'id' | 'output_path'>[]> {
  const db = store.db;
  const inputs = await workflowInputsInUse(store);
  const newestPassed = db.selectFrom('runs').select((eb) => eb.fn.max('id').as('id'))
    .where('status', '=', 'passed').where('output_path', 'is not', null).groupBy(['application_id', 'pipeline', 'branch']);
  const inUse = db.selectFrom('runs').select('source_run_id').where('status', 'in', ['queued', 'running']).where('source_run_id', 'is not', null);
  return db.selectFrom('runs').select(['id', 'output_path'])
    .where('output_path', 'is not', null)
    .where('status', 'in', ['passed', 'failed', 'cancelled'])
    .where('finished_at', '<', cutoff)
    .where('id', 'not in', newestPassed)
    .where('id', 'not in', inUse)
    .$if(inputs.length > 0, (q) => q.where('id', 'not in', inputs))
    .orderBy('id').limit(limit).execute();
}

/** The runs whose outputs queued or running workflow steps will read (JSON in `workflow_inputs`, read here rather than in dialect-specific SQL). */
async function workflowInputsInUse(store: Store): Promise<number[]> {
  const rows = await store.db.selectFrom('runs').select('workflow_inputs')
    .where('status', 'in', ['queued', 'running']).where('workflow_inputs', 'is not', null).execute();
  const ids = new Set<number>();
  for (const row of rows) {
    const planned = JSON.parse(row.workflow_inputs!) as { inputs?: { runId?: unknown }[] };
    for (const input of planned.inputs ?? []) if (typeof input.runId === 'number') ids.add(input.runId);
  }
  return [...ids];
}

/** Records that a run's output file was deleted: the path goes, the time stays. */
export async function markOutputRemoved(store: Store, runId: number, at: string): Promise<void> {
  await store.db.updateTable('runs').set({ output_path: null, output_removed_at: at }).where('id', '=', runId).execute();
}

/** Records where a run's output tar is kept. */
export async function setOutputPath(store: Store, runId: number, file: string): Promise<void> {
  await store.db.updateTable('runs').set({ output_path: file }).where('id', '=', runId).execute();
}

/** The output files of an application's runs (deleted with the application). */
export async function outputPathsOf(store: Store, appId: number): Promise<string[]> {
  const rows = await store.db.selectFrom('runs').select('output_path').where('application_id', '=', appId).where('output_path', 'is not', null).execute();
  return rows.flatMap((r) => (r.output_path ? [r.output_path] : []));
}
