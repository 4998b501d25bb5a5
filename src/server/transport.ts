import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { ServerEnv } from './context.ts';

/**
 * Whether the browser reached the server over https: the request itself, or the `--base-url`
 * the operator gave (a TLS proxy in front), or, only with `--trust-proxy`, the proxy's
 * `X-Forwarded-Proto: https`. Cookies set then carry `Secure`, so they never travel in clear.
 */
export function isSecureRequest(c: Context, baseUrl: string, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === 'https:' || baseUrl.startsWith('https:')) return true;
  return trustProxy && (c.req.header('x-forwarded-proto') ?? '').split(',')[0]!.trim().toLowerCase() === 'https';
}

/** Sets `c.var.secureTransport` for the cookie helpers (auth.ts, ui/login-csrf.ts). */
export function transportFacts(core: { baseUrl: string; trustProxy: boolean }): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    c.set('secureTransport', isSecureRequest(c, core.baseUrl, core.trustProxy));
    return next();
  };
}

/**
 * The caller's address, for throttling: the socket's peer, or with `--trust-proxy` the last
 * address in X-Forwarded-For (the one the operator's proxy added; earlier ones come from the
 * client and prove nothing). 'unknown' without a socket (tests through app.request).
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = (c.req.header('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean).at(-1);
    if (forwarded) return forwarded;
  }
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

/**
 * A redirect target from a request (`?next=`), kept only when it is a path on this site.
 * Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example` or
 * `/\evil.example` would leave the site: any control character, whitespace or backslash, and
 * anything that resolves to another origin, gives `fallback` instead.
 */
export function sameOriginPath(next: string | undefined, fallback: string): string {
  if (!next || !next.startsWith('/') || next.startsWith('//')) return fallback;
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(next)) return fallback;
  const base = 'http://werker.invalid';
  try {
    return new URL(next, base).origin === base ? next : fallback;
  } catch {
    return fallback;
  }
}
