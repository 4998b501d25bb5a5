import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempGitRepo } from '../../test/helpers/git-repo.ts';
import { openStore } from '../store/db.ts';
import { listClaims } from '../../test/helpers/claims.ts';
import { createApp } from './app.ts';
import { PUBLIC_ROUTES } from './auth.ts';
import type { ServerEnv, Session, User } from './context.ts';
import { createServerCore, type Core } from './service.ts';
import { publicBaseUrl } from './start.ts';

// The whole HTTP surface through app.request (no socket), over SQLite in memory and a real git repo.
const YML = 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        name: hello\n        code: echo hello\ndeploy:\n  steps:\n    - script:\n        name: ship\n        code: echo ship\nworkflows:\n  - name: ship-it\n    pipelines:\n      - name: build\n      - name: deploy\n        requires: [build]\n';
const SECRET = 'hunter2-very-secret-value';
const repo = tempGitRepo({ 'wercker.yml': YML });
afterAll(() => repo.remove());

let dataDir: string;
let core: Core;
let app: Hono<ServerEnv>;
let user: User;
let token: string;
let session: Session;

beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'werker-server-test-'));
  core = createServerCore(await openStore(':memory:'), { dataDir, leaseMs: 60_000, allowLocalRepos: [tmpdir()] });
  app = createApp(core, { heartbeatSeconds: 1 });
  user = await core.auth.createUser('ada', 'correct horse battery');
  token = (await core.auth.createToken('user', 'tests', user)).token;
  session = (await core.auth.login('ada', 'correct horse battery'))!;
});
afterEach(async () => {
  await core.store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const bearer = (t = token) => ({ authorization: `Bearer ${t}` });
const json = (body: unknown, headers: Record<string, string> = bearer()) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
const createShop = async () => {
  const res = await app.request('/api/applications', json({ name: 'shop', repository: repo.dir }));
  expect(res.status).toBe(201);
  return ((await res.json()) as { application: { id: number; defaultBranch: string } }).application;
};
const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const runCount = async () => Number((await core.store.db.selectFrom('runs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('authorisation', () => {
  it('refuses every registered route without credentials: 401 for the API, a redirect to /login for pages', async () => {
    const routes = app.routes.filter((r) => r.method !== 'ALL');
    expect(routes.length).toBeGreaterThan(25);
    const checked: string[] = [];
    for (const r of routes) {
      const url = r.path.replace(/:\w+(\{[^}]*\})?/g, '1').replace(/\*$/, 'x');
      const res = await app.request(url, { method: r.method });
      if (PUBLIC_ROUTES.some((p) => p.test(url))) {
        // Open to visitors: the login page, its assets, the health check. Runner routes and hooks carry their own proof.
        if (/^\/(api\/runner|hooks)\//.test(url)) expect(res.status, `${r.method} ${url}`).toBeOneOf([401, 404]);
        continue;
      }
      checked.push(`${r.method} ${url} ${res.status}`);
      if (url.startsWith('/api/')) expect(res.status, `${r.method} ${url}`).toBe(401);
      else {
        expect(res.status, `${r.method} ${url}`).toBe(302);
        expect(res.headers.get('location')).toMatch(/^\/login\?next=/);
      }
    }
    expect(checked.length).toBeGreaterThan(20);
  });

  it('keeps runner routes for runner tokens, and runner tokens out of everything else', async () => {
    expect((await app.request('/api/runner/claim', json({ runner: 'x' }))).status).toBe(401);
    const runnerToken = (await core.auth.createToken('runner', 'r1')).token;
    expect((await app.request('/api/applications', { headers: bearer(runnerToken) })).status).toBe(403);
    expect((await app.request('/api/runner/claim', json({ runner: 'x' }, bearer(runnerToken)))).status).toBe(204);
  });

  it('refuses a wrong or revoked token, and a token in the query string counts for nothing', async () => {
    expect((await app.request('/api/me', { headers: bearer('wku_nope') })).status).toBe(401);
    expect((await app.request(`/api/me?token=${token}`)).status).toBe(401);
    const made = await core.auth.createToken('user', 'short-lived', user);
    await core.auth.revokeToken(made.info.id, user);
    expect((await app.request('/api/me', { headers: bearer(made.token) })).status).toBe(401);
  });

  it('needs the CSRF token for a cookie-authenticated change, not for a bearer token', async () => {
    const cookie = { cookie: `werker_session=${session.token}` };
    expect((await app.request('/api/me', { headers: cookie })).status).toBe(200);
    const refused = await app.request('/api/applications', json({ name: 'shop', repository: repo.dir }, cookie));
    expect(refused.status).toBe(403);
    expect(await core.listApplications()).toEqual([]);
    const wrong = await app.request('/api/applications', json({ name: 'shop', repository: repo.dir }, { ...cookie, 'x-csrf-token': 'guess' }));
    expect(wrong.status).toBe(403);
    const ok = await app.request('/api/applications', json({ name: 'shop', repository: repo.dir }, { ...cookie, 'x-csrf-token': session.csrfToken }));
    expect(ok.status).toBe(201);
    const form = await app.request('/api/applications/shop/variables', {
      method: 'POST', headers: { ...cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name: 'A', value: 'b', _csrf: session.csrfToken }).toString(),
    });
    expect(form.status).toBe(201);
  });

  it('stores passwords and tokens hashed', async () => {
    const rows = await core.store.db.selectFrom('users').selectAll().execute();
    expect(rows[0]!.password_hash).toMatch(/^scrypt\$/);
    const tokens = await core.store.db.selectFrom('api_tokens').select('token_hash').execute();
    expect(tokens.map((t) => t.token_hash)).not.toContain(token);
    expect(await core.auth.login('ada', 'wrong password')).toBeUndefined();
  });
});

describe('applications, variables and key pairs', () => {
  it('reads pipelines and workflows from the repository\'s wercker.yml', async () => {
    const shop = await createShop();
    expect(shop.defaultBranch).toBe('main');
    const res = await app.request('/api/applications/shop/pipelines', { headers: bearer() });
    const body = (await res.json()) as { pipelines: string[]; workflows: { name: string }[]; commit: string };
    expect(body.pipelines).toEqual(['build', 'deploy']);
    expect(body.workflows.map((w) => w.name)).toEqual(['ship-it']);
    expect(body.commit).toBe(repo.head());
  });

  it('says why it has no pipelines: an unknown branch, or a repository it can no longer fetch', async () => {
    const gone = tempGitRepo({ 'wercker.yml': YML }, 'werker-repo-gone');
    const res = await app.request('/api/applications', json({ name: 'gone', repository: gone.dir }));
    expect(res.status).toBe(201);
    const pipelines = async (ref: string) => (await (await app.request(`/api/applications/gone/pipelines?ref=${ref}`, { headers: bearer() })).json()) as { pipelines: string[]; problem?: string };
    expect((await pipelines('nope')).problem).toBe(`no branch or commit nope in ${gone.dir}`);
    gone.remove();
    const unreachable = await pipelines('main');
    expect(unreachable.pipelines).toEqual([]);
    expect(unreachable.problem).toBe(`could not read the repository ${gone.dir}: check the URL, and that this server may read it (the server log has git's own message)`);
  });

  it('refuses a repository that is not there', async () => {
    const res = await app.request('/api/applications', json({ name: 'ghost', repository: path.join(tmpdir(), 'nonexistent-repo') }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/could not read the repository/);
    const withPassword = await app.request('/api/applications', json({ name: 'leaky', repository: 'https://bob:pa55word@git.example/shop.git' }));
    expect(withPassword.status).toBe(400);
    expect(await withPassword.text()).not.toContain('pa55word');
    expect(await core.listApplications()).toEqual([]);
  });

  it('never returns a protected variable\'s value, and it cannot be unprotected by overwriting', async () => {
    await createShop();
    expect((await app.request('/api/applications/shop/variables', json({ name: 'API_KEY', value: SECRET, protected: true }))).status).toBe(201);
    await app.request('/api/applications/shop/variables', json({ name: 'REGION', value: 'eu', pipeline: 'deploy' }));
    const again = await app.request('/api/applications/shop/variables', json({ name: 'API_KEY', value: `${SECRET}-2`, protected: false }));
    const text = (await again.text()) + (await (await app.request('/api/applications/shop/variables', { headers: bearer() })).text());
    expect(text).not.toContain(SECRET);
    const list = await core.listVariables((await core.getApplication('shop'))!.id);
    expect(list).toEqual([
      expect.objectContaining({ name: 'API_KEY', pipeline: null, value: null, protected: true }),
      expect.objectContaining({ name: 'REGION', pipeline: 'deploy', value: 'eu', protected: false }),
    ]);
    expect((await app.request('/api/applications/shop/variables', json({ name: '1BAD', value: 'x' }))).status).toBe(400);
  });

  it('generates an ed25519 key pair: the public half is shown, the private half only reaches pipelines', async () => {
    const shop = await createShop();
    const res = await app.request('/api/applications/shop/keys', json({ name: 'deploy' }));
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toMatch(/PRIVATE KEY/);
    const { keyPair } = JSON.parse(text) as { keyPair: { name: string; publicKey: string; fingerprint: string } };
    expect(keyPair.name).toBe('DEPLOY');
    expect(keyPair.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ werker-DEPLOY$/);
    expect(keyPair.fingerprint).toMatch(/^SHA256:/);
    expect(await (await app.request('/api/applications/shop/keys', { headers: bearer() })).text()).not.toMatch(/PRIVATE KEY/);
    await core.triggerRun(shop.id, 'build', {}, user);
    const job = (await core.runners.claim('r'))!;
    const vars = Object.fromEntries(job.variables.map((v) => [v.name, v]));
    expect(vars.DEPLOY_PUBLIC).toEqual({ name: 'DEPLOY_PUBLIC', value: keyPair.publicKey, protected: false });
    expect(vars.DEPLOY_PRIVATE?.protected).toBe(true);
    expect(vars.DEPLOY_PRIVATE?.value).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
  });
});

describe('webhook', () => {
  const push = (commit: string) => JSON.stringify({ ref: 'refs/heads/main', after: commit, pusher: { name: 'ada' } });

  it('refuses a wrong or missing signature with 401 and starts nothing', async () => {
    await createShop();
    const body = push(repo.head());
    for (const signature of [undefined, 'sha256=00', sign('not-the-secret', body)]) {
      const res = await app.request('/hooks/github/shop', { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...(signature ? { 'x-hub-signature-256': signature } : {}) } });
      expect(res.status).toBe(401);
    }
    expect(await runCount()).toBe(0);
  });

  it('queues the build of the pushed commit when the signature is right', async () => {
    const shop = await createShop();
    const commit = repo.commit({ 'README': 'new\n' });
    const body = push(commit);
    const secret = await core.getWebhookSecret(shop.id, user);
    const res = await app.request('/hooks/github/shop', { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': sign(secret, body) } });
    expect(res.status).toBe(202);
    const { runs } = await core.listRuns({});
    expect(runs).toEqual([expect.objectContaining({ pipeline: 'build', branch: 'main', commit, status: 'queued', trigger: 'webhook' })]);
  });

  it('answers a signed ping, and starts nothing for a tag push or a deleted branch', async () => {
    const shop = await createShop();
    const secret = await core.getWebhookSecret(shop.id, user);
    const send = (event: string, body: string) => app.request('/hooks/github/shop', { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-hub-signature-256': sign(secret, body) } });
    expect((await send('ping', '{"zen":"hi"}')).status).toBe(200);
    expect((await send('push', JSON.stringify({ ref: 'refs/tags/v1', after: repo.head() }))).status).toBe(202);
    expect((await send('push', JSON.stringify({ ref: 'refs/heads/gone', after: '0'.repeat(40), deleted: true }))).status).toBe(202);
    expect((await send('push', 'not json')).status).toBe(400);
    expect((await send('push', 'payload=%E0%A4%A')).status).toBe(400);
    expect(await runCount()).toBe(0);
  });

  it('gives the webhook URL at the server\'s base URL, and the hook answers at its path', async () => {
    await createShop();
    core.setBaseUrl('https://ci.example.test');
    const res = await app.request('/api/applications/shop/webhook', { headers: bearer() });
    const hook = (await res.json()) as { url: string; path: string; secret: string };
    expect(hook.url).toBe('https://ci.example.test/hooks/github/shop');
    const body = push(repo.head());
    const sent = await app.request(new URL(hook.url).pathname, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': sign(hook.secret, body) } });
    expect(sent.status).toBe(202);
  });

  it('takes --base-url as an absolute http(s) URL without a trailing slash', () => {
    expect(publicBaseUrl('https://ci.example.test/')).toBe('https://ci.example.test');
    expect(publicBaseUrl('http://10.0.0.5:7373')).toBe('http://10.0.0.5:7373');
    expect(() => publicBaseUrl('ci.example.test')).toThrow(/absolute URL/);
    expect(() => publicBaseUrl('ftp://ci.example.test')).toThrow(/http/);
    expect(() => publicBaseUrl('https://u:hunter2@ci.example.test')).toThrow(/^(?!.*hunter2).*without credentials/);
  });

  it('starts the application\'s workflow when it has one', async () => {
    const res = await app.request('/api/applications', json({ name: 'flow', repository: repo.dir, workflow: 'ship-it' }));
    const { application } = (await res.json()) as { application: { id: number } };
    const body = push(repo.head());
    const hook = await app.request('/hooks/github/flow', { method: 'POST', body, headers: { 'x-github-event': 'push', 'x-hub-signature-256': sign(await core.getWebhookSecret(application.id, user), body) } });
    expect(hook.status).toBe(202);
    expect((await core.listRuns({})).runs).toEqual([expect.objectContaining({ pipeline: 'build', workflow: 'ship-it', trigger: 'webhook', triggeredBy: 'ada (webhook)' })]);
  });
});

describe('runs', () => {
  it('goes queued → running → passed with a step list and durations, masks protected values, and keeps history', async () => {
    const shop = await createShop();
    await core.setVariable(shop.id, { name: 'API_KEY', value: SECRET, protected: true }, user);
    const res = await app.request('/api/applications/shop/runs', json({ pipeline: 'build' }));
    expect(res.status).toBe(201);
    const { run } = (await res.json()) as { run: { id: number; status: string } };
    expect(run.status).toBe('queued');
    const job = (await core.runners.claim('runner-a'))!;
    expect(job).toMatchObject({ runId: run.id, attempt: 1, commit: repo.head(), pipeline: 'build' });
    expect((await core.getRun(run.id))!.status).toBe('running');
    const at = new Date().toISOString();
    await core.runners.appendEvents(run.id, job.lease, [
      { type: 'step.started', step: 1, name: 'hello', phase: 'main', at },
      { type: 'step.output', step: 1, stream: 'stdout', text: `the key is ${SECRET}\n` },
      { type: 'step.finished', step: 1, name: 'hello', phase: 'main', status: 'passed', exitCode: 0, durationMs: 1234 },
    ]);
    expect(await core.runners.finish(run.id, job.lease, { status: 'passed', durationMs: 2000 })).toBe(true);
    const detail = (await (await app.request(`/api/runs/${run.id}`, { headers: bearer() })).json()) as { run: { status: string; steps: unknown[]; durationMs: number } };
    expect(detail.run.status).toBe('passed');
    expect(detail.run.durationMs).toBe(2000);
    expect(detail.run.steps).toEqual([expect.objectContaining({ phase: 'main', step: 1, name: 'hello', status: 'passed', durationMs: 1234, exitCode: 0 })]);
    const events = await (await app.request(`/api/runs/${run.id}/events?format=json`, { headers: bearer() })).text();
    expect(events).not.toContain(SECRET);
    expect(events).toContain('the key is ***');
    expect(events.match(/"type":"run.finished"/g)).toHaveLength(1);
    const history = (await (await app.request('/api/applications/shop/runs?limit=1', { headers: bearer() })).json()) as { runs: { id: number }[]; nextBefore: number | null };
    expect(history.runs.map((r) => r.id)).toEqual([run.id]);
  });

  it('cancels a queued run at once and a running one through its runner; retry queues the same commit again', async () => {
    const shop = await createShop();
    const queued = await core.triggerRun(shop.id, 'build', {}, user);
    const cancelled = (await (await app.request(`/api/runs/${queued.id}/cancel`, json({}))).json()) as { run: { status: string } };
    expect(cancelled.run.status).toBe('cancelled');
    expect((await core.listRunEvents(queued.id)).at(-1)).toMatchObject({ type: 'run.finished', status: 'cancelled' });
    expect(await core.runners.claim('r')).toBeUndefined();

    const running = await core.triggerRun(shop.id, 'build', {}, user);
    const job = (await core.runners.claim('r'))!;
    expect(await core.runners.heartbeat(job.runId, job.lease)).toEqual({ cancel: false });
    await app.request(`/api/runs/${running.id}/cancel`, json({}));
    expect(await core.runners.heartbeat(job.runId, job.lease)).toEqual({ cancel: true });
    await core.runners.finish(job.runId, job.lease, { status: 'cancelled', durationMs: 10 });
    expect((await core.getRun(running.id))!.status).toBe('cancelled');

    const res = await app.request(`/api/runs/${running.id}/retry`, json({}));
    expect(res.status).toBe(201);
    const { run } = (await res.json()) as { run: { id: number; status: string; retryOf: number; commit: string } };
    expect(run).toMatchObject({ status: 'queued', retryOf: running.id, commit: repo.head() });
  });

  it('requeues a run whose lease ran out, and the old attempt can no longer report', async () => {
    const shop = await createShop();
    core = createServerCore(core.store, { dataDir, leaseMs: 1, allowLocalRepos: [tmpdir()] });
    const run = await core.triggerRun(shop.id, 'build', {}, user);
    const first = (await core.runners.claim('dies'))!;
    await new Promise((r) => setTimeout(r, 5));
    expect(await core.reap()).toEqual([run.id]);
    expect((await core.getRun(run.id))!.status).toBe('queued');
    const second = (await core.runners.claim('lives'))!;
    expect(second.attempt).toBe(2);
    expect(await core.runners.appendEvents(run.id, first.lease, [{ type: 'log', level: 'info', text: 'late' }])).toBe(false);
    expect(await core.runners.finish(run.id, first.lease, { status: 'passed', durationMs: 1 })).toBe(false);
    expect(await core.runners.heartbeat(run.id, first.lease)).toBeUndefined();
    expect((await listClaims(core.store, run.id)).map((c) => [c.attempt, c.runner])).toEqual([[1, 'dies'], [2, 'lives']]);
  });

  it('starts a workflow with its build, then queues the deploy of that build\'s output when it passes', async () => {
    const shop = await createShop();
    const res = await app.request('/api/applications/shop/runs', json({ pipeline: 'workflow:ship-it' }));
    const { run } = (await res.json()) as { run: { id: number; pipeline: string; workflow: string } };
    expect(run).toMatchObject({ pipeline: 'build', workflow: 'ship-it' });
    const job = (await core.runners.claim('r'))!;
    await core.runners.finish(job.runId, job.lease, { status: 'passed', durationMs: 1 });
    const { runs } = await core.listRuns({ appId: shop.id });
    expect(runs[0]).toMatchObject({ pipeline: 'deploy', kind: 'deploy', status: 'queued', sourceRunId: run.id, workflowRunId: run.id });
  });
});

describe('live log (SSE)', () => {
  const readAll = async (res: Response) => {
    const text = await res.text();
    return [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  };

  it('masks protected values in the message a runner reports with a failed run', async () => {
    const shop = await createShop();
    await core.setVariable(shop.id, { name: 'API_KEY', value: SECRET, protected: true }, user);
    const res = await app.request('/api/applications/shop/runs', json({ pipeline: 'build' }));
    const { run } = (await res.json()) as { run: { id: number } };
    const job = (await core.runners.claim('runner-a'))!;
    expect(await core.runners.finish(run.id, job.lease, { status: 'failed', durationMs: 1, message: `curl failed for ${SECRET}`, error: { message: `bad key ${SECRET}` } })).toBe(true);
    const detail = (await (await app.request(`/api/runs/${run.id}`, { headers: bearer() })).json()) as { run: { message: string } };
    expect(detail.run.message).toBe('curl failed for ***');
    const events = await (await app.request(`/api/runs/${run.id}/events?format=json`, { headers: bearer() })).text();
    expect(events).not.toContain(SECRET);
  });

  it('replays from Last-Event-ID, then follows live events and ends after run.finished', async () => {
    const shop = await createShop();
    const run = await core.triggerRun(shop.id, 'build', {}, user);
    const job = (await core.runners.claim('r'))!;
    await core.runners.appendEvents(run.id, job.lease, [1, 2, 3].map((i) => ({ type: 'log' as const, level: 'info' as const, text: `line ${i}` })));
    // seq 1 is the claim note; the client has seen up to 2.
    expect((await app.request(`/api/runs/${run.id + 1000}/events`, { headers: bearer() })).status).toBe(404);
    const res = await app.request(`/api/runs/${run.id}/events`, { headers: { ...bearer(), 'last-event-id': '2' } });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    setTimeout(() => {
      void (async () => {
        await core.runners.appendEvents(run.id, job.lease, [{ type: 'log', level: 'info', text: 'live line' }]);
        await core.runners.finish(run.id, job.lease, { status: 'passed', durationMs: 5 });
      })();
    }, 100);
    expect(await readAll(res)).toEqual([3, 4, 5, 6]);
  });

  it('sends a heartbeat comment while the run is quiet', async () => {
    const shop = await createShop();
    const run = await core.triggerRun(shop.id, 'build', {}, user);
    const job = (await core.runners.claim('r'))!;
    const res = await app.request(`/api/runs/${run.id}/events`, { headers: bearer() });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(': heartbeat')) text += new TextDecoder().decode((await reader.read()).value);
    await core.runners.finish(run.id, job.lease, { status: 'failed', durationMs: 1, message: 'no' });
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
    expect(text).toContain('event: run.finished');
  });

  it('works with the session cookie, as the browser\'s EventSource sends it', async () => {
    const shop = await createShop();
    const run = await core.triggerRun(shop.id, 'build', {}, user);
    await core.cancelRun(run.id, user);
    const res = await app.request(`/api/runs/${run.id}/events?after=0`, { headers: { cookie: `werker_session=${session.token}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('event: run.finished');
    expect(text).toContain('"status":"cancelled"');
  });
});
