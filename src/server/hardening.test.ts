import { createHmac } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Hono } from 'hono';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tempGitRepo } from '../../test/helpers/git-repo.ts';
import { openStore } from '../store/db.ts';
import { createApp } from './app.ts';
import type { ServerEnv, User } from './context.ts';
import { createServerCore, type Core, type CoreOptions } from './service.ts';
import { startServer } from './start.ts';

// Transport and storage findings: app.request over SQLite in memory and real git repos.
const YML = 'box: busybox\nbuild:\n  steps:\n    - script:\n        code: echo hi\n';
const PASSWORD = 'correct horse battery';
const repo = tempGitRepo({ 'wercker.yml': YML });
afterAll(() => repo.remove());

let core: Core | undefined;
let app: Hono<ServerEnv>;
let token: string;
let admin: User;
const dirs: string[] = [];
let clock = new Date('2026-12-01T00:00:00Z');

async function setUp(options: Partial<CoreOptions> = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-hardening-'));
  dirs.push(dataDir);
  core = createServerCore(await openStore(':memory:'), { dataDir, leaseMs: 60_000, allowLocalRepos: [tmpdir()], now: () => clock, ...options });
  app = createApp(core);
  admin = await core.auth.createUser('ada', PASSWORD);
  token = (await core.auth.createToken('user', 'tests', admin)).token;
}
afterEach(async () => {
  await core?.store.close();
  core = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const api = (url: string, body: unknown) => app.request(url, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

/** A login form post with the login page's double-submit cookie; `headers` adds X-Forwarded-For, a device cookie… */
async function login(password: string, { next, headers = {}, cookies = [], username = 'ada' }: { next?: string; headers?: Record<string, string>; cookies?: string[]; username?: string } = {}) {
  const page = await app.request('/login', { headers });
  const csrf = page.headers.get('set-cookie')!.split(';')[0]!;
  const form = new URLSearchParams({ _csrf: csrf.split('=')[1]!, username, password, ...(next !== undefined ? { next } : {}) });
  return app.request('/login', { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [csrf, ...cookies].join('; '), ...headers } });
}
const cookieNamed = (res: Response, name: string) => res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));

describe('webhook deliveries', () => {
  it('queue once per X-GitHub-Delivery id: a replay answers 200 "duplicate delivery" and queues nothing', async () => {
    await setUp();
    const shop = (await (await api('/api/applications', { name: 'shop', repository: repo.dir })).json()) as { application: { id: number } };
    const secret = await core!.getWebhookSecret(shop.application.id, admin);
    const body = JSON.stringify({ ref: 'refs/heads/main', after: repo.head() });
    const deliver = (id: string) => app.request('/hooks/github/shop', { method: 'POST', body, headers: {
      'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': id, 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    } });
    expect((await deliver('72d3162e-1')).status).toBe(202);
    const replays = await Promise.all([deliver('72d3162e-1'), deliver('72d3162e-1')]);
    expect(replays.map((r) => r.status)).toEqual([200, 200]);
    expect(await replays[0]!.json()).toEqual({ ignored: 'duplicate delivery 72d3162e-1' });
    expect((await core!.listRuns({})).runs).toHaveLength(1);
    expect((await deliver('72d3162e-2')).status).toBe(202);
    expect((await core!.listRuns({})).runs).toHaveLength(2);
  });
});

describe('sign-in throttling', () => {
  it('refuses the right password with 429 and Retry-After after 600 wrong ones, and lets it in once the wait is over', async () => {
    await setUp();
    const statuses = new Map<number, number>();
    for (let i = 0; i < 600; i++) {
      const s = (await login(`wrong ${i}`)).status;
      statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    // Five tries get "wrong password"; every other one is refused before the password is checked.
    expect(Object.fromEntries(statuses)).toEqual({ 401: 5, 429: 595 });
    const right = await login(PASSWORD);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await right.text()).toMatch(/^Too many failed sign-ins: try again in \d+ seconds?\.$/);
    clock = new Date(clock.getTime() + 16 * 60_000);
    expect((await login(PASSWORD)).status).toBe(303);
  });

  it('throttles an address across accounts, and an attacker elsewhere cannot keep a user out of a browser they signed in from before', async () => {
    await setUp({ trustProxy: true });
    const user = { headers: { 'x-forwarded-for': '198.51.100.7' } };
    const first = await login(PASSWORD, user);
    expect(first.status).toBe(303);
    const device = cookieNamed(first, 'werker_device')!.split(';')[0]!;
    const attacker = { headers: { 'x-forwarded-for': '203.0.113.66' } };
    for (let i = 0; i < 5; i++) await login('guess', attacker);
    expect((await login(PASSWORD, attacker)).status).toBe(429);
    // A new browser of the user waits with the account…
    expect((await login(PASSWORD, { headers: { 'x-forwarded-for': '198.51.100.8' } })).status).toBe(429);
    // …the browser that signed in before does not.
    expect((await login(PASSWORD, { ...user, cookies: [device] })).status).toBe(303);
    // The address is throttled across accounts (20 failures), device cookie or not; the proxy's
    // last X-Forwarded-For entry is the address, not what the client wrote before it.
    for (let i = 0; i < 20; i++) await login('guess', { ...attacker, username: `user${i}` });
    expect((await login(PASSWORD, { headers: { 'x-forwarded-for': '198.51.100.7, 203.0.113.66' }, cookies: [device] })).status).toBe(429);
  });
});

describe('cookies and redirects', () => {
  it('marks the session cookie Secure when --base-url is https, or a trusted proxy says https', async () => {
    await setUp({ baseUrl: 'https://ci.example.com' });
    expect(cookieNamed(await login(PASSWORD), 'werker_session')).toMatch(/; Secure/);
    await core!.store.close();
    await setUp({ trustProxy: true });
    expect(cookieNamed(await login(PASSWORD), 'werker_session')).not.toMatch(/Secure/);
    expect(cookieNamed(await login(PASSWORD, { headers: { 'x-forwarded-proto': 'https' } }), 'werker_session')).toMatch(/; Secure/);
    await core!.store.close();
    await setUp();
    // Without --trust-proxy anyone could send the header: it changes nothing.
    expect(cookieNamed(await login(PASSWORD, { headers: { 'x-forwarded-proto': 'https' } }), 'werker_session')).not.toMatch(/Secure/);
  });

  it('redirects after sign-in only to a path on the site', async () => {
    await setUp();
    for (const next of ['/\t/evil.example', decodeURIComponent('%2F%09%2Fevil.example'), '/\n/evil.example', '//evil.example', '/\\evil.example', 'https://evil.example/', '/ /evil.example']) {
      const res = await login(PASSWORD, { next });
      expect(res.headers.get('location'), JSON.stringify(next)).toBe('/apps');
    }
    expect((await login(PASSWORD, { next: '/runs?status=failed' })).headers.get('location')).toBe('/runs?status=failed');
  });
});

describe('repositories', () => {
  it('refuses local paths and file:// URLs unless the operator allowed their directory', async () => {
    await setUp({ allowLocalRepos: [] });
    for (const repository of [repo.dir, pathToFileURL(repo.dir).href]) {
      const res = await api('/api/applications', { name: 'local', repository });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('this server takes no local-path repositories: use a git URL (the operator may allow a directory with `werker server --allow-local-repos DIR`)');
    }
    await core!.store.close();
    const allowed = mkdtempSync(path.join(tmpdir(), 'werker-allowed-'));
    dirs.push(allowed);
    await setUp({ allowLocalRepos: [allowed] });
    const outside = await api('/api/applications', { name: 'local', repository: repo.dir });
    expect(outside.status).toBe(400);
    expect(((await outside.json()) as { error: string }).error).toContain('is not inside a directory this server takes local repositories from');
    // Nor by a way round: `..` out of the allowed dir.
    expect((await api('/api/applications', { name: 'local', repository: path.join(allowed, '..', path.basename(repo.dir)) })).status).toBe(400);
    expect(await core!.listApplications()).toEqual([]);
  });

  it('says the same about a closed port, an open port that is no git server, and a TLS port', async () => {
    await setUp();
    const http: Server = createServer((_req, res) => res.writeHead(404).end('not here'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const open = (http.address() as AddressInfo).port;
    try {
      const errors: string[] = [];
      for (const url of ['http://127.0.0.1:1/x.git', `http://127.0.0.1:${open}/x.git`, `https://127.0.0.1:${open}/x.git`]) {
        const res = await api('/api/applications', { name: 'probe', repository: url });
        expect(res.status).toBe(400);
        errors.push(((await res.json()) as { error: string }).error.replace(url, 'URL'));
      }
      expect(new Set(errors)).toEqual(new Set(['could not read the repository URL: check the URL, and that this server may read it (the server log has git\'s own message)']));
    } finally {
      http.close();
    }
  });
});

describe('the data dir', () => {
  it('is made 0700 with the database 0600, and a wider one is named in a warning at start', async () => {
    const fresh = path.join(mkdtempSync(path.join(tmpdir(), 'werker-perms-')), 'data');
    dirs.push(path.dirname(fresh));
    const lines: string[] = [];
    let server = await startServer({ dataDir: fresh, host: '127.0.0.1', port: 0, runners: 0, log: (l) => lines.push(l) });
    await server.close();
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(fresh, 'werker.db')).mode & 0o777).toBe(0o600);
    expect(lines.filter((l) => l.includes('warning'))).toEqual([]);

    const old = mkdtempSync(path.join(tmpdir(), 'werker-perms-old-'));
    dirs.push(old);
    chmodSync(old, 0o755);
    writeFileSync(path.join(old, 'werker.db'), '');
    chmodSync(path.join(old, 'werker.db'), 0o644);
    mkdirSync(path.join(old, 'outputs'), { mode: 0o755 });
    server = await startServer({ dataDir: old, host: '127.0.0.1', port: 0, runners: 0, log: (l) => lines.push(l) });
    await server.close();
    expect(lines).toEqual([
      `werker server: warning: ${old} is open to other users (mode 0755); it holds protected values and private keys: chmod 700 ${old}`,
      `werker server: warning: ${path.join(old, 'werker.db')} is open to other users (mode 0644); it holds protected values and private keys: chmod 600 ${path.join(old, 'werker.db')}`,
      `werker server: warning: ${path.join(old, 'outputs')} is open to other users (mode 0755); it holds protected values and private keys: chmod 700 ${path.join(old, 'outputs')}`,
    ]);
  });
});
