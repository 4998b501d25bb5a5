import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { ServerEnv, Session, User } from './context.ts';

export const SESSION_COOKIE = 'werker_session';

/**
 * Routes reachable without a signed-in user. Everything else needs a session cookie or a bearer
 * token (checked in `authorize`), so a route added later is private unless listed here.
 * - `/login` (GET page, POST form) and `/assets/*` for the login page itself;
 * - `/hooks/*` carry their own proof (an HMAC signature per application);
 * - `/api/runner/*` need a runner token (checked in their router);
 * - `/healthz` says only "ok";
 * - `/badge/*` are public unless the application is private (routes/badges.ts checks).
 */
export const PUBLIC_ROUTES: readonly RegExp[] = [/^\/login\/?$/, /^\/assets\//, /^\/hooks\//, /^\/api\/runner\//, /^\/healthz$/, /^\/badge\//];

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What the middleware needs from the core to recognise a caller. */
export interface Authenticator {
  sessionUser(token: string): Promise<{ user: User; csrfToken: string } | undefined>;
  tokenUser(token: string): Promise<{ kind: 'user'; user: User } | { kind: 'runner'; tokenId: number } | undefined>;
}

/**
 * Who is calling: a bearer token (Authorization header only, never a query parameter, so no
 * secret sits in a URL) or the session cookie. Sets c.var.user / csrfToken / authMethod, then:
 * public routes pass; others without a user get 401 (API, or a client that wants JSON) or a
 * redirect to /login (pages); cookie-authenticated unsafe requests need the session's CSRF token
 * (header `x-csrf-token` or form field `_csrf`), else 403.
 */
export function authorize(auth: Authenticator): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    c.set('authMethod', 'none');
    c.set('csrfToken', '');
    const bearer = bearerToken(c.req.header('authorization'));
    if (bearer) {
      const found = await auth.tokenUser(bearer);
      if (!found) return c.json({ error: 'invalid or revoked token' }, 401);
      if (found.kind === 'user') {
        c.set('user', found.user);
        c.set('authMethod', 'token');
      } else {
        c.set('authMethod', 'runner');
        c.set('runnerTokenId', found.tokenId);
      }
    } else {
      const cookie = getCookie(c, SESSION_COOKIE);
      const found = cookie ? await auth.sessionUser(cookie) : undefined;
      if (found && cookie) {
        c.set('user', found.user);
        c.set('csrfToken', found.csrfToken);
        c.set('authMethod', 'session');
        c.set('sessionToken', cookie);
      }
    }
    const path = c.req.path;
    if (PUBLIC_ROUTES.some((r) => r.test(path))) return next();
    if (c.var.authMethod === 'runner') return c.json({ error: 'a runner token may only use /api/runner/*' }, 403);
    if (!c.var.user) return wantsJson(c) ? c.json({ error: 'sign in or send "Authorization: Bearer TOKEN"' }, 401) : c.redirect(`/login?next=${encodeURIComponent(path)}`, 302);
    if (c.var.authMethod === 'session' && UNSAFE_METHODS.has(c.req.method)) {
      const sent = c.req.header('x-csrf-token') ?? (await formField(c, '_csrf'));
      if (!sent || !sameText(sent, c.var.csrfToken)) return wantsJson(c) ? c.json({ error: 'missing or wrong CSRF token; reload the page' }, 403) : c.text('Missing or wrong CSRF token: reload the page and try again.', 403);
    }
    return next();
  };
}

/** Puts a new session in the response: HttpOnly (no script reads it), SameSite=Lax, Secure over https (the base URL's or a trusted proxy's too). */
export function setSessionCookie(c: Context, session: Session): void {
  setCookie(c, SESSION_COOKIE, session.token, {
    httpOnly: true, sameSite: 'Lax', path: '/', secure: secureCookies(c), expires: new Date(session.expiresAt),
  });
}

/** `Secure` when the browser came over https (transport.ts sets secureTransport; the request's own URL otherwise). */
export function secureCookies(c: Context): boolean {
  return c.get('secureTransport') === true || new URL(c.req.url).protocol === 'https:';
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

export function bearerToken(header: string | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function wantsJson(c: Context): boolean {
  return c.req.path.startsWith('/api/') || (c.req.header('accept') ?? '').includes('application/json');
}

/** The form field of a urlencoded/multipart body; hono caches the parsed body, so handlers can read it again. */
async function formField(c: Context, name: string): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('application/x-www-form-urlencoded') && !type.includes('multipart/form-data')) return undefined;
  const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  const v = body[name];
  return typeof v === 'string' ? v : undefined;
}
