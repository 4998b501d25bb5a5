import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { sameText, secureCookies } from '../auth.ts';

const COOKIE = 'werker_login_csrf';

/**
 * The login form has no session to take a CSRF token from, so it uses a double-submit token:
 * the same random value in a cookie and in the form. A forged cross-site POST can't read the
 * cookie, so it can't send the matching field, and can't sign a victim in as someone else.
 */
export function issueLoginCsrf(c: Context): string {
  const existing = getCookie(c, COOKIE);
  if (existing && /^[A-Za-z0-9_-]{32}$/.test(existing)) return existing;
  const token = randomBytes(24).toString('base64url');
  setCookie(c, COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/login', secure: secureCookies(c) });
  return token;
}

export function loginCsrfMatches(c: Context, sent: string | undefined): boolean {
  const cookie = getCookie(c, COOKIE);
  return !!cookie && !!sent && sameText(cookie, sent);
}

export function clearLoginCsrf(c: Context): void {
  deleteCookie(c, COOKIE, { path: '/login' });
}
