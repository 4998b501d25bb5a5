import type { Selectable } from 'kysely';
import { isoNow, type Store } from './db.ts';
import type { Database } from './schema.ts';

export type KeyPairRow = Selectable<Database['key_pairs']>;
/** A key pair without its private half: what may be shown. */
export type KeyPairInfoRow = Pick<KeyPairRow, 'id' | 'name' | 'public_key' | 'fingerprint' | 'created_at'>;
const INFO = ['id', 'name', 'public_key', 'fingerprint', 'created_at'] as const;

export async function listKeyPairInfos(store: Store, appId: number): Promise<KeyPairInfoRow[]> {
  return store.db.selectFrom('key_pairs').select(INFO).where('application_id', '=', appId).orderBy('name').execute();
}

export async function keyPairNameTaken(store: Store, appId: number, name: string): Promise<boolean> {
  return Boolean(await store.db.selectFrom('key_pairs').select('id').where('application_id', '=', appId).where('name', '=', name).executeTakeFirst());
}

export async function insertKeyPair(store: Store, appId: number, pair: Pick<KeyPairRow, 'name' | 'public_key' | 'private_key' | 'fingerprint'>): Promise<KeyPairInfoRow> {
  return store.db.insertInto('key_pairs').values({ application_id: appId, ...pair, created_at: isoNow() }).returning(INFO).executeTakeFirstOrThrow();
}

/** False when the application has no such key pair. */
export async function deleteKeyPairRow(store: Store, appId: number, id: number): Promise<boolean> {
  const r = await store.db.deleteFrom('key_pairs').where('application_id', '=', appId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Every key pair of the application, private halves too (for the runs' variables), by name. */
export async function keyPairRows(store: Store, appId: number): Promise<KeyPairRow[]> {
  return store.db.selectFrom('key_pairs').selectAll().where('application_id', '=', appId).orderBy('name').execute();
}
