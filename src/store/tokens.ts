import type { Selectable } from 'kysely';
import { isoNow, type Store } from './db.ts';
import type { Database } from './schema.ts';

export type TokenRow = Selectable<Database['api_tokens']>;

export async function insertToken(store: Store, token: Pick<TokenRow, 'kind' | 'name' | 'token_hash' | 'user_id'>): Promise<TokenRow> {
  return store.db.insertInto('api_tokens').values({ ...token, created_at: isoNow(), last_used_at: null, revoked_at: null }).returningAll().executeTakeFirstOrThrow();
}

/** Tokens not revoked: the user's own user tokens, and with `runnerTokens` every runner token too. */
export async function listTokenRows(store: Store, userId: number, runnerTokens: boolean): Promise<TokenRow[]> {
  return store.db.selectFrom('api_tokens').selectAll().where('revoked_at', 'is', null)
    .where((eb) => {
      const own = eb.and([eb('user_id', '=', userId), eb('kind', '=', 'user')]);
      return runnerTokens ? eb.or([own, eb('kind', '=', 'runner')]) : own;
    }).orderBy('id').execute();
}

/** A token not revoked, by id: who it belongs to. */
export async function findLiveToken(store: Store, id: number): Promise<Pick<TokenRow, 'id' | 'kind' | 'user_id'> | undefined> {
  return store.db.selectFrom('api_tokens').select(['id', 'kind', 'user_id']).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
}

export async function revokeTokenRow(store: Store, id: number): Promise<void> {
  await store.db.updateTable('api_tokens').set({ revoked_at: isoNow() }).where('id', '=', id).execute();
}

/** A token not revoked, by the hash of its text. */
export async function findLiveTokenByHash(store: Store, tokenHash: string): Promise<TokenRow | undefined> {
  return store.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).where('revoked_at', 'is', null).executeTakeFirst();
}

export async function touchToken(store: Store, id: number): Promise<void> {
  await store.db.updateTable('api_tokens').set({ last_used_at: isoNow() }).where('id', '=', id).execute();
}
