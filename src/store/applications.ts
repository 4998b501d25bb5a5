import type { Selectable } from 'kysely';
import { isoNow, type Store } from './db.ts';
import { deleteNotificationRulesOf } from './notifications.ts';
import { deleteRunsOf } from './runs.ts';
import type { Database } from './schema.ts';

export type AppRow = Selectable<Database['applications']>;
export type NewAppRow = Pick<AppRow, 'name' | 'repository' | 'default_branch' | 'workflow' | 'webhook_secret'>;

export async function getApplicationRow(store: Store, id: number): Promise<AppRow | undefined> {
  return store.db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
}

/** By numeric id or by name. */
export async function findApplicationRow(store: Store, key: number | string): Promise<AppRow | undefined> {
  const q = store.db.selectFrom('applications').selectAll();
  return (typeof key === 'number' ? q.where('id', '=', key) : q.where('name', '=', key)).executeTakeFirst();
}

/** Every application, by name. */
export async function listApplicationRows(store: Store): Promise<AppRow[]> {
  return store.db.selectFrom('applications').selectAll().orderBy('name').execute();
}

export async function applicationNameTaken(store: Store, name: string): Promise<boolean> {
  return Boolean(await store.db.selectFrom('applications').select('id').where('name', '=', name).executeTakeFirst());
}

export async function insertApplication(store: Store, app: NewAppRow): Promise<AppRow> {
  return store.db.insertInto('applications').values({ ...app, created_at: isoNow() }).returningAll().executeTakeFirstOrThrow();
}

/** Removes the row alone (an application whose repository could not be mirrored; nothing hangs off it yet). */
export async function deleteApplicationRow(store: Store, id: number): Promise<void> {
  await store.db.deleteFrom('applications').where('id', '=', id).execute();
}

export async function setDefaultBranch(store: Store, id: number, branch: string): Promise<void> {
  await store.db.updateTable('applications').set({ default_branch: branch }).where('id', '=', id).execute();
}

/** Makes the application private (1: visitors can't see it, not even its badges) or public (0). */
export async function setApplicationPrivate(store: Store, id: number, isPrivate: boolean): Promise<void> {
  await store.db.updateTable('applications').set({ private: isPrivate ? 1 : 0 }).where('id', '=', id).execute();
}

/** Application names by id (for run lists). */
export async function applicationNames(store: Store, ids: number[]): Promise<Map<number, string>> {
  if (!ids.length) return new Map();
  const rows = await store.db.selectFrom('applications').select(['id', 'name']).where('id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Deletes an application with its runs, variables, key pairs, maintainers, delivery ids, notification rules and schedules, in one transaction. */
export async function deleteApplicationAndAll(store: Store, appId: number): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    await deleteRunsOf(store, tx, appId);
    await tx.deleteFrom('variables').where('application_id', '=', appId).execute();
    await tx.deleteFrom('key_pairs').where('application_id', '=', appId).execute();
    await tx.deleteFrom('application_maintainers').where('application_id', '=', appId).execute();
    await tx.deleteFrom('webhook_deliveries').where('application_id', '=', appId).execute();
    await deleteNotificationRulesOf(tx, appId);
    await tx.deleteFrom('schedules').where('application_id', '=', appId).execute();
    await tx.deleteFrom('applications').where('id', '=', appId).execute();
  });
}
