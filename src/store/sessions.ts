import type { Selectable } from 'kysely';
import { isoNow, type Store } from './db.ts';
import type { Database } from './schema.ts';

export type SessionRow = Selectable<Database['sessions']>;

/** A session (by its token's hash) with its user. */
export interface SessionUserRow { id: number; name: string; role: 'admin' | 'member'; created_at: string; disabled_at: string | null; csrf_token: string; expires_at: string }

export async function deleteExpiredSessions(store: Store): Promise<void> {
  await store.db.deleteFrom('sessions').where('expires_at', '<', isoNow()).execute();
}

export async function insertSession(store: Store, session: Pick<SessionRow, 'token_hash' | 'user_id' | 'csrf_token' | 'expires_at'>): Promise<void> {
  await store.db.insertInto('sessions').values({ token_hash: session.token_hash, user_id: session.user_id, csrf_token: session.csrf_token, created_at: isoNow(), expires_at: session.expires_at }).execute();
}

export async function deleteSession(store: Store, tokenHash: string): Promise<void> {
  await store.db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

/** Signs a user out everywhere. */
export async function deleteSessionsOf(store: Store, userId: number): Promise<void> {
  await store.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

export async function findSessionUser(store: Store, tokenHash: string): Promise<SessionUserRow | undefined> {
  return store.db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.name', 'users.role', 'users.created_at', 'users.disabled_at', 'sessions.csrf_token', 'sessions.expires_at'])
    .where('sessions.token_hash', '=', tokenHash).executeTakeFirst();
}
