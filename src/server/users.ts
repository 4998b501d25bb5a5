import type { Selectable } from 'kysely';
import { InputError, type Role, type ServerAuth, type Session, type TokenInfo, type User, type UserInfo } from './context.ts';
import type { Authenticator } from './auth.ts';
import { isoNow, type Store } from '../store/db.ts';
import { expireLeasesOf } from '../store/queue.ts';
import type { Database } from '../store/schema.ts';
import { hashPassword, hashToken, newSecret, verifyPassword } from './passwords.ts';
import { requireAdmin } from './policy.ts';

const SESSION_MS = 7 * 24 * 3600 * 1000;
const ROLES: readonly Role[] = ['admin', 'member'];
/** Hash of a password nobody has, so a login for an unknown name takes as long as a real one. */
let decoyHash: Promise<string> | undefined;

type UserRow = Pick<Selectable<Database['users']>, 'id' | 'name' | 'role' | 'created_at'>;
const toUser = (r: UserRow): User => ({ id: r.id, name: r.name, role: r.role === 'admin' ? 'admin' : 'member', createdAt: r.created_at });
const toToken = (r: { id: number; kind: 'user' | 'runner'; name: string; created_at: string; last_used_at: string | null }): TokenInfo =>
  ({ id: r.id, kind: r.kind, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at });

/** Users (with their role), browser sessions and API tokens (stored hashed), and recognising a caller by them. */
export function userService(store: Store): ServerAuth & Authenticator {
  const db = store.db;
  const enabledAdmins = async () => Number((await db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).where('role', '=', 'admin').where('disabled_at', 'is', null).executeTakeFirstOrThrow()).n);

  return {
    async login(username, password) {
      const row = await db.selectFrom('users').selectAll().where('name', '=', username).executeTakeFirst();
      decoyHash ??= hashPassword(newSecret());
      const ok = await verifyPassword(password, row?.password_hash ?? (await decoyHash));
      if (!row || !ok || row.disabled_at) return undefined;
      await db.deleteFrom('sessions').where('expires_at', '<', isoNow()).execute();
      const token = newSecret('wks_');
      const session: Session = { token, user: toUser(row), csrfToken: newSecret(), expiresAt: isoNow(SESSION_MS) };
      await db.insertInto('sessions').values({ token_hash: hashToken(token), user_id: row.id, csrf_token: session.csrfToken, created_at: isoNow(), expires_at: session.expiresAt }).execute();
      return session;
    },
    async logout(token) {
      await db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
    },
    async createUser(username, password, options = {}) {
      if (options.by) requireAdmin(options.by, 'create users');
      if (options.role !== undefined && !ROLES.includes(options.role)) throw new InputError(`a role is "admin" or "member", not ${JSON.stringify(options.role)}`);
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(username)) throw new InputError('a user name is 1-64 letters, digits, "-", "_" or ".", starting with a letter or digit');
      if (password.length < 8) throw new InputError('a password needs at least 8 characters');
      const taken = await db.selectFrom('users').select('id').where('name', '=', username).executeTakeFirst();
      if (taken) throw new InputError(`there is already a user ${username}`, 409);
      // The first user is the admin: someone must be able to manage the rest.
      const first = !(await db.selectFrom('users').select('id').limit(1).executeTakeFirst());
      const role: Role = first ? 'admin' : (options.role ?? 'member');
      const row = await db.insertInto('users').values({ name: username, password_hash: await hashPassword(password), role, created_at: isoNow() }).returningAll().executeTakeFirstOrThrow();
      return toUser(row);
    },
    async countUsers() {
      const r = await db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async listUsers(by) {
      requireAdmin(by, 'list users');
      const rows = await db.selectFrom('users').select(['id', 'name', 'role', 'created_at', 'disabled_at']).orderBy('name').execute();
      return rows.map((r) => ({ ...toUser(r), disabled: r.disabled_at !== null }));
    },
    async updateUser(userId, changes, by) {
      requireAdmin(by, 'change users');
      if (changes.role !== undefined && !ROLES.includes(changes.role)) throw new InputError(`a role is "admin" or "member", not ${JSON.stringify(changes.role)}`);
      const row = await db.selectFrom('users').select(['id', 'name', 'role', 'created_at', 'disabled_at']).where('id', '=', userId).executeTakeFirst();
      if (!row) throw new InputError(`no user ${userId}`, 404);
      const losesAdmin = row.role === 'admin' && row.disabled_at === null && (changes.role === 'member' || changes.disabled === true);
      if (losesAdmin && (await enabledAdmins()) <= 1) throw new InputError(`${row.name} is the last admin: make another user admin first`, 409);
      const set: { role?: Role; disabled_at?: string | null } = {};
      if (changes.role !== undefined) set.role = changes.role;
      if (changes.disabled !== undefined) set.disabled_at = changes.disabled ? (row.disabled_at ?? isoNow()) : null;
      if (Object.keys(set).length) await db.updateTable('users').set(set).where('id', '=', userId).execute();
      // A disabled user is signed out everywhere; their tokens are refused while disabled (tokenUser).
      if (changes.disabled) await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
      const after = await db.selectFrom('users').select(['id', 'name', 'role', 'created_at', 'disabled_at']).where('id', '=', userId).executeTakeFirstOrThrow();
      return { ...toUser(after), disabled: after.disabled_at !== null };
    },
    async createToken(kind, name, user, via = 'session') {
      // A token that could mint tokens would outlive its own revocation through its children.
      if (via === 'token') throw new InputError('a token can\'t make tokens: sign in to the web UI (or ask an admin) to make one', 403);
      if (kind === 'runner' && user) requireAdmin(user, 'make runner tokens (a runner receives the protected values of the runs it claims)');
      if (!name.trim()) throw new InputError('a token needs a name (what it is for)');
      if (kind === 'user' && !user) throw new InputError('a user token belongs to a user');
      const token = newSecret(kind === 'runner' ? 'wkr_' : 'wku_');
      const row = await db.insertInto('api_tokens').values({ kind, name: name.trim().slice(0, 100), token_hash: hashToken(token), user_id: user?.id ?? null, created_at: isoNow(), last_used_at: null, revoked_at: null })
        .returningAll().executeTakeFirstOrThrow();
      return { token, info: toToken(row) };
    },
    async listTokens(user) {
      const rows = await db.selectFrom('api_tokens').selectAll().where('revoked_at', 'is', null)
        .where((eb) => {
          const own = eb.and([eb('user_id', '=', user.id), eb('kind', '=', 'user')]);
          return user.role === 'admin' ? eb.or([own, eb('kind', '=', 'runner')]) : own;
        }).orderBy('id').execute();
      return rows.map(toToken);
    },
    async revokeToken(tokenId, user) {
      const row = await db.selectFrom('api_tokens').select(['id', 'kind', 'user_id']).where('id', '=', tokenId).where('revoked_at', 'is', null).executeTakeFirst();
      const mayRevoke = row && (user.role === 'admin' || (row.kind === 'user' && row.user_id === user.id));
      if (!row || !mayRevoke) throw new InputError(`no token ${tokenId}`, 404);
      await db.updateTable('api_tokens').set({ revoked_at: isoNow() }).where('id', '=', tokenId).execute();
      // What a revoked runner token holds goes back to the queue; its late reports get 401.
      if (row.kind === 'runner') await expireLeasesOf(store, tokenId);
    },

    async sessionUser(token) {
      const row = await db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
        .select(['users.id', 'users.name', 'users.role', 'users.created_at', 'users.disabled_at', 'sessions.csrf_token', 'sessions.expires_at'])
        .where('sessions.token_hash', '=', hashToken(token)).executeTakeFirst();
      if (!row || row.expires_at < isoNow() || row.disabled_at) return undefined;
      return { user: toUser(row), csrfToken: row.csrf_token };
    },
    async tokenUser(token) {
      const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hashToken(token)).where('revoked_at', 'is', null).executeTakeFirst();
      if (!row) return undefined;
      // At most one write a minute per token: runners call often.
      if (!row.last_used_at || row.last_used_at < isoNow(-60_000)) await db.updateTable('api_tokens').set({ last_used_at: isoNow() }).where('id', '=', row.id).execute();
      if (row.kind === 'runner') return { kind: 'runner', tokenId: row.id };
      const user = row.user_id === null ? undefined : await db.selectFrom('users').selectAll().where('id', '=', row.user_id).executeTakeFirst();
      return user && !user.disabled_at ? { kind: 'user', user: toUser(user) } : undefined;
    },
  };
}
