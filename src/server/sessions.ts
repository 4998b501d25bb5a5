import { isoNow, type Store } from '../store/db.ts';
import { deleteExpiredSessions, deleteSession, findSessionUser, insertSession } from '../store/sessions.ts';
import { findUserByName } from '../store/users.ts';
import type { Authenticator } from './auth.ts';
import type { ServerAuth, Session } from './context.ts';
import { hashPassword, hashToken, newSecret, verifyPassword } from './passwords.ts';
import { toUser } from './users.ts';

const SESSION_MS = 7 * 24 * 3600 * 1000;
/** Hash of a password nobody has, so a login for an unknown name takes as long as a real one. */
let decoyHash: Promise<string> | undefined;

type SessionMembers = Pick<ServerAuth, 'login' | 'logout'> & Pick<Authenticator, 'sessionUser'>;

/** Browser sessions: signing in with a password, out again, and recognising the session cookie (stored hashed). */
export function sessionService(store: Store): SessionMembers {
  return {
    async login(username, password) {
      const row = await findUserByName(store, username);
      decoyHash ??= hashPassword(newSecret());
      const ok = await verifyPassword(password, row?.password_hash ?? (await decoyHash));
      if (!row || !ok || row.disabled_at) return undefined;
      await deleteExpiredSessions(store);
      const token = newSecret('wks_');
      const session: Session = { token, user: toUser(row), csrfToken: newSecret(), expiresAt: isoNow(SESSION_MS) };
      await insertSession(store, { token_hash: hashToken(token), user_id: row.id, csrf_token: session.csrfToken, expires_at: session.expiresAt });
      return session;
    },
    async logout(token) {
      await deleteSession(store, hashToken(token));
    },
    async sessionUser(token) {
      const row = await findSessionUser(store, hashToken(token));
      if (!row || row.expires_at < isoNow() || row.disabled_at) return undefined;
      return { user: toUser(row), csrfToken: row.csrf_token };
    },
  };
}
