import { InputError, type ServerAuth, type Session, type TokenInfo, type User } from './context.ts';
import type { Authenticator } from './auth.ts';
import { isoNow, type Store } from '../store/db.ts';
import { hashPassword, hashToken, newSecret, verifyPassword } from './passwords.ts';

const SESSION_MS = 7 * 24 * 3600 * 1000;
/** Hash of a password nobody has, so a login for an unknown name takes as long as a real one. */
let decoyHash: Promise<string> | undefined;

/** Users, browser sessions and API tokens (stored hashed), and recognising a caller by them. */
export function userService(store: Store): ServerAuth & Authenticator {
  const db = store.db;
  const toUser = (r: { id: number; name: string; created_at: string }): User => ({ id: r.id, name: r.name, createdAt: r.created_at });
  const toToken = (r: { id: number; kind: 'user' | 'runner'; name: string; created_at: string; last_used_at: string | null }): TokenInfo =>
    ({ id: r.id, kind: r.kind, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at });

  return {
    async login(username, password) {
      const row = await db.selectFrom('users').selectAll().where('name', '=', username).executeTakeFirst();
      decoyHash ??= hashPassword(newSecret());
      const ok = await verifyPassword(password, row?.password_hash ?? (await decoyHash));
      if (!row || !ok) return undefined;
      await db.deleteFrom('sessions').where('expires_at', '<', isoNow()).execute();
      const token = newSecret('wks_');
      const session: Session = { token, user: toUser(row), csrfToken: newSecret(), expiresAt: isoNow(SESSION_MS) };
      await db.insertInto('sessions').values({ token_hash: hashToken(token), user_id: row.id, csrf_token: session.csrfToken, created_at: isoNow(), expires_at: session.expiresAt }).execute();
      return session;
    },
    async logout(token) {
      await db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
    },
    async createUser(username, password) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(username)) throw new InputError('a user name is 1-64 letters, digits, "-", "_" or ".", starting with a letter or digit');
      if (password.length < 8) throw new InputError('a password needs at least 8 characters');
      const taken = await db.selectFrom('users').select('id').where('name', '=', username).executeTakeFirst();
      if (taken) throw new InputError(`there is already a user ${username}`, 409);
      const row = await db.insertInto('users').values({ name: username, password_hash: await hashPassword(password), created_at: isoNow() }).returningAll().executeTakeFirstOrThrow();
      return toUser(row);
    },
    async countUsers() {
      const r = await db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async createToken(kind, name, user) {
      if (!name.trim()) throw new InputError('a token needs a name (what it is for)');
      if (kind === 'user' && !user) throw new InputError('a user token belongs to a user');
      const token = newSecret(kind === 'runner' ? 'wkr_' : 'wku_');
      const row = await db.insertInto('api_tokens').values({ kind, name: name.trim().slice(0, 100), token_hash: hashToken(token), user_id: user?.id ?? null, created_at: isoNow(), last_used_at: null, revoked_at: null })
        .returningAll().executeTakeFirstOrThrow();
      return { token, info: toToken(row) };
    },
    async listTokens(user) {
      const rows = await db.selectFrom('api_tokens').selectAll().where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('user_id', '=', user.id), eb('kind', '=', 'runner')])).orderBy('id').execute();
      return rows.map(toToken);
    },
    async revokeToken(tokenId, user) {
      const r = await db.updateTable('api_tokens').set({ revoked_at: isoNow() }).where('id', '=', tokenId)
        .where((eb) => eb.or([eb('user_id', '=', user.id), eb('kind', '=', 'runner')])).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw new InputError(`no token ${tokenId}`, 404);
    },

    async sessionUser(token) {
      const row = await db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
        .select(['users.id', 'users.name', 'users.created_at', 'sessions.csrf_token', 'sessions.expires_at'])
        .where('sessions.token_hash', '=', hashToken(token)).executeTakeFirst();
      if (!row || row.expires_at < isoNow()) return undefined;
      return { user: toUser(row), csrfToken: row.csrf_token };
    },
    async tokenUser(token) {
      const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hashToken(token)).where('revoked_at', 'is', null).executeTakeFirst();
      if (!row) return undefined;
      // At most one write a minute per token: runners call often.
      if (!row.last_used_at || row.last_used_at < isoNow(-60_000)) await db.updateTable('api_tokens').set({ last_used_at: isoNow() }).where('id', '=', row.id).execute();
      if (row.kind === 'runner') return { kind: 'runner', tokenId: row.id };
      const user = row.user_id === null ? undefined : await db.selectFrom('users').selectAll().where('id', '=', row.user_id).executeTakeFirst();
      return user ? { kind: 'user', user: toUser(user) } : undefined;
    },
  };
}
