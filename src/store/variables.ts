import type { Selectable } from 'kysely';
import { isoNow, type Store } from './db.ts';
import type { Database } from './schema.ts';

export type VariableRow = Selectable<Database['variables']>;
/** pipeline '' = every pipeline of the application. */
export interface VariableKey { appId: number; pipeline: string; name: string }

/** An application's variables, by pipeline then name. */
export async function listVariableRows(store: Store, appId: number): Promise<VariableRow[]> {
  return store.db.selectFrom('variables').selectAll().where('application_id', '=', appId).orderBy('pipeline').orderBy('name').execute();
}

export async function findVariableRow(store: Store, key: VariableKey): Promise<VariableRow | undefined> {
  return store.db.selectFrom('variables').selectAll().where('application_id', '=', key.appId).where('pipeline', '=', key.pipeline).where('name', '=', key.name).executeTakeFirst();
}

/** Writes the value of `existing` (its id), or a new variable under `key`. */
export async function saveVariableRow(store: Store, key: VariableKey, value: { value: string; protected: boolean }, existing?: VariableRow): Promise<VariableRow> {
  const values = { value: value.value, protected: value.protected ? 1 : 0, updated_at: isoNow() };
  return existing
    ? store.db.updateTable('variables').set(values).where('id', '=', existing.id).returningAll().executeTakeFirstOrThrow()
    : store.db.insertInto('variables').values({ application_id: key.appId, pipeline: key.pipeline, name: key.name, ...values }).returningAll().executeTakeFirstOrThrow();
}

/** False when the application has no such variable. */
export async function deleteVariableRow(store: Store, appId: number, id: number): Promise<boolean> {
  const r = await store.db.deleteFrom('variables').where('application_id', '=', appId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** The variables a run of `pipeline` sees: the application-wide ones and the pipeline's own (unordered). */
export async function pipelineVariableRows(store: Store, appId: number, pipeline: string): Promise<VariableRow[]> {
  return store.db.selectFrom('variables').selectAll().where('application_id', '=', appId).where('pipeline', 'in', ['', pipeline]).execute();
}
