import { createHmac, randomBytes } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { sameText, secureCookies } from './auth.ts';
import type { ServerEnv } from './context.ts';
import { clientAddress } from './transport.ts';

/** Failures allowed before the backoff starts, per kind of key. */
const FREE_FAILURES = { account: 5, device: 5, address: 20 } as const;
const FIRST_WAIT_MS = 1000;
const MAX_WAIT_MS = 15 * 60 * 1000;
/** A key with no failure for this long starts afresh. */
const FORGET_MS = 24 * 60 * 60 * 1000;
/** Keys remembered at most (the oldest go first), so a flood of names can't grow memory without end. */
const MAX_KEYS = 50_000;
const DEVICE_COOKIE = 'werker_device';

type Kind = keyof typeof FREE_FAILURES;
interface Entry { failures: number; blockedUntil: number; lastFailure: number }

/**
 * Sign-in throttling (in this server process's memory). Each failed sign-in counts against the
 * caller's address and against the account, and past a few failures each key waits before the
 * next try: 1 s, doubling with each failure, at most 15 minutes; a success clears them.
 *
 * So that someone elsewhere failing on purpose can't keep a user out, a browser that has signed
 * in as that user before carries a device cookie (an HMAC of the name, keyed per server
 * process): its attempts count against that device instead of the account, so the account's
 * wait never applies to it. A wait is never longer than 15 minutes after the last failure.
 */
export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #deviceKey = randomBytes(32);

  constructor(readonly now: () => number = Date.now) {}

  /** Milliseconds until the keys may try again (0: now). */
  waitMs(keys: string[]): number {
    const now = this.now();
    return Math.max(0, ...keys.map((k) => (this.#entries.get(k)?.blockedUntil ?? 0) - now));
  }

  failed(keys: string[]): void {
    const now = this.now();
    for (const key of keys) {
      const old = this.#entries.get(key);
      const failures = old && now - old.lastFailure < FORGET_MS ? old.failures + 1 : 1;
      // The failure that uses up the free ones starts the wait: 1 s, then 2, 4, 8…
      const over = failures - FREE_FAILURES[key.split(':')[0] as Kind];
      const wait = over >= 0 ? Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** Math.min(over, 30)) : 0;
      this.#entries.delete(key);
      this.#entries.set(key, { failures, blockedUntil: now + wait, lastFailure: now });
    }
    while (this.#entries.size > MAX_KEYS) this.#entries.delete(this.#entries.keys().next().value!);
  }

  succeeded(keys: string[]): void {
    for (const key of keys) this.#entries.delete(key);
  }

  /** The device cookie's value for a user name (sent back by browsers that signed in as them). */
  deviceToken(name: string, nonce = randomBytes(12).toString('base64url')): string {
    return `${nonce}.${createHmac('sha256', this.#deviceKey).update(`${nonce}\n${name}`).digest('base64url')}`;
  }

  /** The device's nonce when the cookie is one this process gave to a browser signed in as `name`. */
  knownDevice(cookie: string | undefined, name: string): string | undefined {
    const nonce = cookie?.split('.')[0];
    return nonce && cookie && sameText(cookie, this.deviceToken(name, nonce)) ? nonce : undefined;
  }
}

/**
 * Wraps `POST /login` (the UI handles it): refuses with 429 and Retry-After while the caller is
 * waiting, counts a 401 as a failure, and a sign-in (303 with a session cookie) as a success,
 * which also gives the browser its device cookie.
 */
export function throttleLogins(throttle: LoginThrottle, trustProxy: boolean): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const name = typeof form.username === 'string' ? form.username.trim().toLowerCase() : '';
    const keys = throttleKeys(c, throttle, name, trustProxy);
    const wait = throttle.waitMs(keys);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      c.header('retry-after', String(seconds));
      return c.text(`Too many failed sign-ins: try again in ${seconds} second${seconds === 1 ? '' : 's'}.`, 429);
    }
    await next();
    if (c.res.status === 401) throttle.failed(keys);
    else if (c.res.status === 303 && (c.res.headers.get('set-cookie') ?? '').includes('werker_session=')) {
      throttle.succeeded(keys);
      setCookie(c, DEVICE_COOKIE, throttle.deviceToken(name), { httpOnly: true, sameSite: 'Strict', path: '/login', secure: secureCookies(c), maxAge: 365 * 24 * 3600 });
    }
  };
}

function throttleKeys(c: Context, throttle: LoginThrottle, name: string, trustProxy: boolean): string[] {
  const device = throttle.knownDevice(getCookie(c, DEVICE_COOKIE), name);
  return [`address:${clientAddress(c, trustProxy)}`, device ? `device:${name}:${device}` : `account:${name}`];
}
