import { isoNow, type Store } from './db.ts';

/** Members who manage an application (application_maintainers). */
export async function isMaintainer(store: Store, appId: number, userId: number): Promise<boolean> {
  const row = await store.db.selectFrom('application_maintainers').select('user_id').where('application_id', '=', appId).where('user_id', '=', userId).executeTakeFirst();
  return Boolean(row);
}

/** The maintainers of an application, by name. */
export async function listMaintainerRows(store: Store, appId: number): Promise<{ id: number; name: string }[]> {
  return store.db.selectFrom('application_maintainers').innerJoin('users', 'users.id', 'application_maintainers.user_id')
    .select(['users.id', 'users.name']).where('application_maintainers.application_id', '=', appId).orderBy('users.name').execute();
}

export async function insertMaintainer(store: Store, appId: number, userId: number): Promise<void> {
  await store.db.insertInto('application_maintainers').values({ application_id: appId, user_id: userId, created_at: isoNow() }).execute();
}

/** False when the user was no maintainer of the application. */
export async function deleteMaintainer(store: Store, appId: number, userId: number): Promise<boolean> {
  const r = await store.db.deleteFrom('application_maintainers').where('application_id', '=', appId).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
