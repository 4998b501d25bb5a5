import { isoNow, type Store } from '../store/db.ts';
import { expireLeasesOf } from '../store/queue.ts';
import { findLiveToken, findLiveTokenByHash, insertToken, listTokenRows, revokeTokenRow, touchToken, type TokenRow } from '../store/tokens.ts';
import { findUserById } from '../store/users.ts';
import type { Authenticator } from './auth.ts';
import { InputError, type ServerAuth, type TokenInfo } from './context.ts';
import { hashToken, newSecret } from './passwords.ts';
import { requireAdmin } from './policy.ts';
import { toUser } from './users.ts';

type TokenMembers = Pick<ServerAuth, 'createToken' | 'listTokens' | 'revokeToken'> & Pick<Authenticator, 'tokenUser'>;

const toToken = (r: Pick<TokenRow, 'id' | 'kind' | 'name' | 'created_at' | 'last_used_at'>): TokenInfo =>
  ({ id: r.id, kind: r.kind, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at });

/** API tokens (user tokens act as their user; runner tokens only take and report jobs), stored hashed. */
export function tokenService(store: Store): TokenMembers {
  return {
    async createToken(kind, name, user, via = 'session') {
      // A token that could mint tokens would outlive its own revocation through its children.
      if (via === 'token') throw new InputError('a token can\'t make tokens: sign in to the web UI (or ask an admin) to make one', 403);
      if (kind === 'runner' && user) requireAdmin(user, 'make runner tokens (a runner receives the protected values of the runs it claims)');
      if (!name.trim()) throw new InputError('a token needs a name (what it is for)');
      if (kind === 'user' && !user) throw new InputError('a user token belongs to a user');
      const token = newSecret(kind === 'runner' ? 'wkr_' : 'wku_');
      const row = await insertToken(store, { kind, name: name.trim().slice(0, 100), token_hash: hashToken(token), user_id: user?.id ?? null });
      return { token, info: toToken(row) };
    },
    async listTokens(user) {
      return (await listTokenRows(store, user.id, user.role === 'admin')).map(toToken);
    },
    async revokeToken(tokenId, user) {
      const row = await findLiveToken(store, tokenId);
      const mayRevoke = row && (user.role === 'admin' || (row.kind === 'user' && row.user_id === user.id));
      if (!row || !mayRevoke) throw new InputError(`no token ${tokenId}`, 404);
      await revokeTokenRow(store, tokenId);
      // What a revoked runner token holds goes back to the queue; its late reports get 401.
      if (row.kind === 'runner') await expireLeasesOf(store, tokenId);
    },
    async tokenUser(token) {
      const row = await findLiveTokenByHash(store, hashToken(token));
      if (!row) return undefined;
      // At most one write a minute per token: runners call often.
      if (!row.last_used_at || row.last_used_at < isoNow(-60_000)) await touchToken(store, row.id);
      if (row.kind === 'runner') return { kind: 'runner', tokenId: row.id };
      const user = row.user_id === null ? undefined : await findUserById(store, row.user_id);
      return user && !user.disabled_at ? { kind: 'user', user: toUser(user) } : undefined;
    },
  };
}
