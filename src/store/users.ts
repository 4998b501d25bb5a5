import type { Selectable } from 'kysely';
import { isoNow, type Store } from './db.ts';
import type { Database } from './schema.ts';

export type UserRow = Selectable<Database['users']>;
/** A user without the password hash: what lists and checks need. */
export type UserInfoRow = Pick<UserRow, 'id' | 'name' | 'role' | 'created_at' | 'disabled_at'>;
const INFO = ['id', 'name', 'role', 'created_at', 'disabled_at'] as const;

export async function findUserByName(store: Store, name: string): Promise<UserRow | undefined> {
  return store.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function findUserById(store: Store, id: number): Promise<UserRow | undefined> {
  return store.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function userNameTaken(store: Store, name: string): Promise<boolean> {
  return Boolean(await store.db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst());
}

export async function hasUsers(store: Store): Promise<boolean> {
  return Boolean(await store.db.selectFrom('users').select('id').limit(1).executeTakeFirst());
}

export async function insertUser(store: Store, user: Pick<UserRow, 'name' | 'password_hash' | 'role'>): Promise<UserRow> {
  return store.db.insertInto('users').values({ ...user, created_at: isoNow() }).returningAll().executeTakeFirstOrThrow();
}

export async function countUserRows(store: Store): Promise<number> {
  const r = await store.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Admins who are not disabled (the last one may be neither demoted nor disabled). */
export async function countEnabledAdmins(store: Store): Promise<number> {
  const r = await store.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).where('role', '=', 'admin').where('disabled_at', 'is', null).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Every user, by name. */
export async function listUserInfos(store: Store): Promise<UserInfoRow[]> {
  return store.db.selectFrom('users').select(INFO).orderBy('name').execute();
}

export async function findUserInfo(store: Store, id: number): Promise<UserInfoRow | undefined> {
  return store.db.selectFrom('users').select(INFO).where('id', '=', id).executeTakeFirst();
}

export async function updateUserRow(store: Store, id: number, set: Partial<Pick<UserRow, 'role' | 'disabled_at'>>): Promise<void> {
  await store.db.updateTable('users').set(set).where('id', '=', id).execute();
}
