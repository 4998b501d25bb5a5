import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempGitRepo } from '../../test/helpers/git-repo.ts';
import { openStore } from '../store/db.ts';
import { getRunRow } from '../store/runs.ts';
import { createApp } from './app.ts';
import { PUBLIC_ROUTES } from './auth.ts';
import type { ServerEnv, Session, User } from './context.ts';
import { LEASE_HEADER } from '../runner/protocol.ts';
import { createServerCore, type Core } from './service.ts';

// Every role rule through app.request (no socket), over SQLite in memory and a real git repo.
const YML = 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        name: hello\n        code: echo hello\n';
const SECRET = 'pa$$word-protected-value';
const PASSWORD = 'long enough password';
const repo = tempGitRepo({ 'wercker.yml': YML });
afterAll(() => repo.remove());

let dataDir: string;
let core: Core;
let app: Hono<ServerEnv>;
let admin: User;
let member: User;

beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'werker-roles-test-'));
  core = createServerCore(await openStore(':memory:'), { dataDir, leaseMs: 60_000, allowLocalRepos: [tmpdir()] });
  app = createApp(core, { heartbeatSeconds: 1 });
  admin = await core.auth.createUser('ada', PASSWORD);
  member = await core.auth.createUser('bob', PASSWORD);
});
afterEach(async () => {
  await core.store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const cookie = (s: Session) => ({ cookie: `werker_session=${s.token}`, 'x-csrf-token': s.csrfToken });
const send = (method: string, url: string, headers: Record<string, string>, body?: Record<string, unknown>, form = false) => app.request(url, {
  method, headers: { ...headers, ...(body ? { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' } : {}) },
  ...(body ? { body: form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body) } : {}),
});

/** What the walk needs: an application the admin made (the member does not maintain it), with a protected variable, key pairs and a finished run (a fork's pull request, so an admin may approve it). */
async function world(walker: User) {
  const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
  const [v1, v2] = [
    await core.setVariable(shop.id, { name: 'API_KEY', value: SECRET, protected: true }, admin),
    await core.setVariable(shop.id, { name: 'REGION', value: 'eu' }, admin),
  ];
  const [k1, k2] = [await core.createKeyPair(shop.id, 'deploy', admin), await core.createKeyPair(shop.id, 'backup', admin)];
  const run = await core.triggerRun(shop.id, 'build', { origin: { forge: 'github', pullRequest: 3, untrusted: true } }, admin);
  await core.cancelRun(run.id, admin);
  // A shared cache of shop's build, so its (read-only) route answers as it would for someone allowed
  // (stored by a trusted run: the untrusted one above may not write it).
  const built = await core.triggerRun(shop.id, 'build', {}, admin);
  await core.cancelRun(built.id, admin);
  const tar = Buffer.from('a cache tar');
  await core.sharedCache.receive((await getRunRow(core.store, built.id))!, { digest: createHash('sha256').update(tar).digest('hex'), size: tar.length }, new Blob([tar]).stream(), async () => true);
  const own = await core.auth.createToken('user', 'walker', walker);
  const rule = (n: number) => core.notifications.create(shop.id, { when: 'failure', channel: 'slack', url: `http://127.0.0.1:9/hook-${n}` }, admin);
  const [n1, n2] = [(await rule(1)).rule, (await rule(2)).rule];
  const [s1, s2] = [
    await core.schedules.create(shop.id, { name: 'nightly', expression: '0 3 * * *', pipeline: 'build' }, admin),
    await core.schedules.create(shop.id, { name: 'weekly', expression: '@weekly', pipeline: 'build' }, admin),
  ];
  return { shop, v1, v2, k1, k2, run, own, n1, n2, s1, s2 };
}

/** A route's path with its parameters filled in, and a body that would be accepted from someone allowed. */
function request(method: string, route: string, w: Awaited<ReturnType<typeof world>>, role: string) {
  const uiDelete = route.endsWith('/delete');
  const id = route.includes('/variables/') ? (uiDelete ? w.v2.id : w.v1.id)
    : route.includes('/keys/') ? (uiDelete ? w.k2.id : w.k1.id)
      : route.includes('/notifications/') ? (uiDelete ? w.n2.id : w.n1.id)
      : route.includes('/schedules/') ? (method === 'DELETE' ? w.s2.id : w.s1.id)
      : route.includes('/tokens/') ? w.own.info.id
        : route.includes('/users/') ? member.id : w.run.id;
  const url = route.replace(':app', 'shop').replace(':userId', String(member.id)).replace(':id', String(id)).replace(':pipeline', 'build');
  const bodies: Record<string, Record<string, unknown>> = {
    'POST /api/applications': { name: `new-${role}`, repository: repo.dir },
    'POST /api/applications/:app/maintainers': { user: 'bob' },
    'PATCH /api/applications/:app': { private: false },
    'POST /api/applications/:app/variables': { name: 'NEW_VAR', value: 'x' },
    'POST /api/applications/:app/keys': { name: 'another' },
    'POST /api/applications/:app/runs': { pipeline: 'build' },
    'POST /api/users': { name: `new-${role}`, password: PASSWORD },
    'PATCH /api/users/:id': { role: 'member' },
    'POST /api/tokens': { name: 'a runner', kind: 'runner' },
    'POST /apps': { name: `ui-${role}`, repository: repo.dir },
    'POST /apps/:app/runs': { pipeline: 'build' },
    'POST /apps/:app/variables': { name: 'UI_VAR', value: 'y' },
    'POST /apps/:app/keys': { name: 'uikey' },
    'POST /api/applications/:app/notifications': { when: 'failure', channel: 'webhook', url: 'http://127.0.0.1:9/new' },
    'POST /apps/:app/notifications': { when: 'failure', channel: 'slack', url: 'http://127.0.0.1:9/ui' },
    'POST /api/applications/:app/schedules': { name: `api-${role}`, expression: '@daily', pipeline: 'build' },
    'PATCH /api/applications/:app/schedules/:id': { expression: '0 4 * * *' },
    'POST /apps/:app/schedules': { name: `ui-${role}`, expression: '@hourly', pipeline: 'build', enabled: 'on' },
    'POST /apps/:app/schedules/:id': { name: 'nightly', expression: '0 5 * * *', pipeline: 'build', enabled: 'on' },
  };
  const body = bodies[`${method} ${route}`] ?? (method === 'GET' || method === 'DELETE' ? undefined : {});
  return { url, body, form: !route.startsWith('/api/') };
}

/** Gets first, changes next, deletions after, the application's deletion and sign-out last. */
function walkOrder(routes: { method: string; path: string }[]) {
  const rank = (r: { method: string; path: string }) => r.path === '/logout' ? 5 : r.method === 'DELETE' && r.path === '/api/applications/:app' ? 4
    : r.method === 'DELETE' || r.path.endsWith('/delete') ? 3 : r.method === 'GET' ? 1 : 2;
  return [...routes].sort((a, b) => rank(a) - rank(b));
}

async function walk(walker: User) {
  const w = await world(walker);
  const session = (await core.auth.login(walker.name, PASSWORD))!;
  const routes = walkOrder(app.routes.filter((r) => r.method !== 'ALL'));
  const refused: string[] = [];
  const notForUsers: string[] = [];
  const leaks: string[] = [];
  let walked = 0;
  for (const r of routes) {
    const { url, body, form } = request(r.method, r.path, w, walker.role);
    if (PUBLIC_ROUTES.some((p) => p.test(url)) && !url.startsWith('/api/runner/')) continue; // visitors' routes: the same for every role
    walked++;
    const res = await send(r.method, url, cookie(session), body, form);
    const text = await res.text();
    if (text.includes(SECRET) || text.includes('PRIVATE KEY')) leaks.push(`${r.method} ${r.path}`);
    expect(res.status, `${walker.role} ${r.method} ${url}: ${text.slice(0, 200)}`).toBeLessThan(500);
    if (res.status === 403) refused.push(`${r.method} ${r.path}`);
    else if (res.status === 401) notForUsers.push(`${r.method} ${r.path}`);
    else if (NEEDS_A_HELD_BOX.has(`${r.method} ${r.path}`)) expect(res.status, `${walker.role} ${r.method} ${url}: ${text.slice(0, 200)}`).toBe(409);
    else expect(res.status, `${walker.role} ${r.method} ${url}: ${text.slice(0, 200)}`).toBeLessThan(400);
  }
  return { walked, refused: refused.sort(), notForUsers, leaks };
}

/** Routes whose success needs what the walk can't set up: a runner holding a failed box (terminals.ts). Allowed callers get 409. */
const NEEDS_A_HELD_BOX = new Set(['POST /api/runs/:id/terminal']);

const MEMBER_REFUSED = [
  'DELETE /api/applications/:app', 'DELETE /api/applications/:app/keys/:id', 'DELETE /api/applications/:app/maintainers/:userId',
  'DELETE /api/applications/:app/variables/:id', 'GET /api/applications/:app/webhook', 'GET /api/users', 'PATCH /api/applications/:app', 'PATCH /api/users/:id',
  'POST /api/applications/:app/keys', 'POST /api/applications/:app/maintainers', 'POST /api/applications/:app/variables', 'POST /api/tokens', 'POST /api/users',
  'GET /api/applications/:app/notifications', 'POST /api/applications/:app/notifications', 'DELETE /api/applications/:app/notifications/:id',
  'POST /apps/:app/notifications', 'POST /apps/:app/notifications/:id/delete',
  'POST /api/applications/:app/schedules', 'PATCH /api/applications/:app/schedules/:id', 'DELETE /api/applications/:app/schedules/:id',
  'POST /apps/:app/schedules', 'POST /apps/:app/schedules/:id', 'POST /apps/:app/schedules/:id/delete',
  'POST /apps/:app/keys', 'POST /apps/:app/keys/:id/delete', 'POST /apps/:app/variables', 'POST /apps/:app/variables/:id/delete', 'POST /apps/:app/visibility',
  'PUT /api/applications/:app/forge', 'POST /apps/:app/forge', 'POST /api/runs/:id/approve', 'POST /runs/:id/approve',
  'POST /api/runs/:id/terminal',
].sort();

describe('roles: every registered route, walked as a member and as an admin', () => {
  it('refuses a member exactly the admin and maintainer routes (403), the admin none, and shows neither a protected value', async () => {
    const asMember = await walk(member);
    await core.store.db.deleteFrom('applications').execute();
    await core.store.db.deleteFrom('application_maintainers').execute();
    const asAdmin = await walk(admin);
    console.log(`[measure] routes walked: member ${asMember.walked}, admin ${asAdmin.walked}; refused (403): member ${asMember.refused.length}, admin ${asAdmin.refused.length}; runner-only (401 to users): ${asMember.notForUsers.length}`);
    expect(asMember.refused).toEqual(MEMBER_REFUSED);
    expect(asAdmin.refused).toEqual([]);
    expect(asMember.notForUsers).toEqual(asAdmin.notForUsers);
    expect(asMember.notForUsers.every((r) => r.includes('/api/runner/'))).toBe(true);
    expect([...asMember.leaks, ...asAdmin.leaks]).toEqual([]);
    expect(asMember.walked).toBe(asAdmin.walked);
    expect(asMember.walked).toBeGreaterThan(45);
  });

  it('lets a member manage the applications they created or were made maintainer of', async () => {
    const s = cookie((await core.auth.login('bob', PASSWORD))!);
    expect((await send('POST', '/api/applications', s, { name: 'bobs', repository: repo.dir })).status).toBe(201);
    expect((await send('POST', '/api/applications/bobs/variables', s, { name: 'A', value: 'b' })).status).toBe(201);
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
    expect((await send('POST', '/api/applications/shop/variables', s, { name: 'A', value: 'b' })).status).toBe(403);
    await core.addMaintainer(shop.id, 'bob', admin);
    expect((await send('POST', '/api/applications/shop/variables', s, { name: 'A', value: 'b' })).status).toBe(201);
    expect((await send('GET', '/api/applications/shop/maintainers', s)).status).toBe(200);
    expect(await core.listMaintainers(shop.id)).toEqual([{ id: admin.id, name: 'ada' }, { id: member.id, name: 'bob' }]);
  });

  it('hides the maintainers\' forms from a member on the application page, and shows them to the admin', async () => {
    await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
    const page = async (u: User) => (await send('GET', '/apps/shop', cookie((await core.auth.login(u.name, PASSWORD))!))).text();
    const forMember = await page(member);
    expect(forMember).not.toContain('id="new-variable"');
    expect(forMember).not.toContain('id="new-key-pair"');
    expect(forMember).not.toContain('id="webhook-secret"');
    expect(forMember).toContain('maintainers and admins see or change its variables');
    expect(forMember).not.toContain('id="new-schedule"');
    expect(forMember).toContain('maintainers and admins add or change its schedules');
    const forAdmin = await page(admin);
    expect(forAdmin).toContain('id="new-variable"');
    expect(forAdmin).toContain('id="webhook-secret"');
    expect(forAdmin).toContain('id="new-schedule"');
  });
});

describe('users and tokens', () => {
  it('makes the first user the admin and later ones members; only an admin creates users or changes roles', async () => {
    expect([admin.role, member.role]).toEqual(['admin', 'member']);
    const asAdmin = cookie((await core.auth.login('ada', PASSWORD))!);
    const made = await send('POST', '/api/users', asAdmin, { name: 'cy', password: PASSWORD, role: 'admin' });
    expect(made.status).toBe(201);
    expect(((await made.json()) as { user: User }).user.role).toBe('admin');
    await expect(core.auth.createUser('dee', PASSWORD, { by: member })).rejects.toMatchObject({ status: 403 });
  });

  it('never lets the last admin be demoted or disabled', async () => {
    await expect(core.auth.updateUser(admin.id, { role: 'member' }, admin)).rejects.toMatchObject({ status: 409 });
    await expect(core.auth.updateUser(admin.id, { disabled: true }, admin)).rejects.toMatchObject({ status: 409 });
    await core.auth.updateUser(member.id, { role: 'admin' }, admin);
    expect((await core.auth.updateUser(admin.id, { role: 'member' }, admin)).role).toBe('member');
  });

  it('signs a disabled user out everywhere and refuses their tokens until enabled again', async () => {
    const session = (await core.auth.login('bob', PASSWORD))!;
    const { token } = await core.auth.createToken('user', 'laptop', member);
    await core.auth.updateUser(member.id, { disabled: true }, admin);
    expect((await send('GET', '/api/me', cookie(session))).status).toBe(401);
    expect((await send('GET', '/api/me', bearer(token))).status).toBe(401);
    expect(await core.auth.login('bob', PASSWORD)).toBeUndefined();
    await core.auth.updateUser(member.id, { disabled: false }, admin);
    expect((await send('GET', '/api/me', bearer(token))).status).toBe(200);
  });

  it('makes tokens only from a signed-in session: no token (user or admin, either kind) mints one', async () => {
    const adminToken = (await core.auth.createToken('user', 'cli', admin)).token;
    for (const kind of ['user', 'runner']) {
      const res = await send('POST', '/api/tokens', bearer(adminToken), { name: 'child', kind });
      expect(res.status, kind).toBe(403);
      expect(await res.text()).toContain('a token can\'t make tokens');
    }
    const asMember = cookie((await core.auth.login('bob', PASSWORD))!);
    expect((await send('POST', '/api/tokens', asMember, { name: 'r', kind: 'runner' })).status).toBe(403);
    expect((await send('POST', '/api/tokens', asMember, { name: 'mine', kind: 'user' })).status).toBe(201);
    const asAdmin = cookie((await core.auth.login('ada', PASSWORD))!);
    const runner = await send('POST', '/api/tokens', asAdmin, { name: 'r', kind: 'runner' });
    expect(runner.status).toBe(201);
    const runnerToken = ((await runner.json()) as { token: string }).token;
    expect((await send('POST', '/api/tokens', bearer(runnerToken), { name: 'child', kind: 'runner' })).status).toBe(403);
    // A member sees no runner token; the admin sees it.
    const listed = async (h: Record<string, string>) => ((await (await send('GET', '/api/tokens', h)).json()) as { tokens: { kind: string }[] }).tokens.map((t) => t.kind);
    expect(await listed(asMember)).toEqual(['user']);
    expect(await listed(asAdmin)).toContain('runner');
  });
});

describe('runner trust', () => {
  const setup = async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
    await core.setVariable(shop.id, { name: 'API_KEY', value: SECRET, protected: true }, admin);
    const holder = (await core.auth.createToken('runner', 'holder', admin)).token;
    const other = (await core.auth.createToken('runner', 'other', admin)).token;
    const run = await core.triggerRun(shop.id, 'build', { origin: { forge: 'github', pullRequest: 3, untrusted: true } }, admin);
    const claimed = await send('POST', '/api/runner/claim', bearer(holder), { runner: 'holder' });
    const { job } = (await claimed.json()) as { job: { runId: number; lease: string; attempt: number } };
    return { shop, holder, other, run, job };
  };
  const report = (token: string, runId: number, lease: string | undefined, what: string) => {
    const h = { ...bearer(token), ...(lease ? { [LEASE_HEADER]: lease } : {}) };
    if (what === 'output') return app.request(`/api/runner/runs/${runId}/output`, { method: 'PUT', headers: { ...h, 'content-type': 'application/x-tar' }, body: 'a tar of my own' });
    if (what === 'source') return app.request(`/api/runner/runs/${runId}/source`, { headers: h });
    const body = what === 'events' ? { events: [{ type: 'log', level: 'info', text: 'forged' }], attempt: 1 } : what === 'finish' ? { status: 'passed', durationMs: 1, attempt: 1 } : { attempt: 1 };
    return send('POST', `/api/runner/runs/${runId}/${what}`, h, body);
  };

  it('refuses events, heartbeats, results, outputs and sources from another runner token (403), even with the lease', async () => {
    const { other, run, job } = await setup();
    for (const what of ['heartbeat', 'events', 'finish', 'output', 'source']) {
      expect((await report(other, run.id, job.lease, what)).status, what).toBe(403);
    }
    const after = (await core.getRun(run.id))!;
    expect(after).toMatchObject({ status: 'running', attempt: 1 });
    expect(JSON.stringify(await core.listRunEvents(run.id))).not.toContain('forged');
    expect(after.outputRemovedAt ?? null).toBeNull();
    expect((await core.store.db.selectFrom('runs').select('output_path').where('id', '=', run.id).executeTakeFirstOrThrow()).output_path).toBeNull();
  });

  it('refuses the holder\'s own token with a wrong or stale lease (409), and a missing lease (400); the right lease works', async () => {
    const { holder, run, job } = await setup();
    expect((await report(holder, run.id, undefined, 'finish')).status).toBe(400);
    expect((await report(holder, run.id, 'x'.repeat(24), 'finish')).status).toBe(409);
    expect((await report(holder, run.id, job.lease, 'heartbeat')).status).toBe(200);
    expect((await report(holder, run.id, job.lease, 'finish')).status).toBe(204);
    expect((await core.getRun(run.id))!.status).toBe('passed');
    expect((await report(holder, run.id, job.lease, 'events')).status).toBe(409);
  });

  it('gives a runner the protected values only in the job it claims: the embedded runner cannot report for it either', async () => {
    const { run, job } = await setup();
    // Neither with the lease nor by guessing the attempt number, as the protocol once allowed.
    expect(await core.runners.finish(run.id, job.attempt as unknown as string, { status: 'passed', durationMs: 1 })).toBe(false);
    expect(await core.runners.finish(run.id, job.lease, { status: 'passed', durationMs: 1 })).toBe(false);
    expect(await core.runners.sourceOutput(run.id, job.lease)).toBeUndefined();
    expect((await core.getRun(run.id))!.status).toBe('running');
  });

  it('ends a revoked runner token\'s claims: its reports get 401 and the reaper requeues the run', async () => {
    const { holder, run, job } = await setup();
    const tokenId = (await core.auth.listTokens(admin)).find((t) => t.name === 'holder')!.id;
    await core.auth.revokeToken(tokenId, admin);
    expect((await report(holder, run.id, job.lease, 'heartbeat')).status).toBe(401);
    expect(await core.reap()).toEqual([run.id]);
    expect((await core.getRun(run.id))!.status).toBe('queued');
  });
});

describe('branch names from requests', () => {
  it('refuses a branch that is no git ref at every entry: API, web form, webhook ref; nothing is queued', async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
    const s = cookie((await core.auth.login('ada', PASSWORD))!);
    const bad = 'x\n$(id)';
    const api = await send('POST', '/api/applications/shop/runs', s, { pipeline: 'build', branch: bad, commit: repo.head() });
    expect(api.status).toBe(400);
    expect(await api.text()).toContain('is not a valid branch name (git check-ref-format)');
    const form = await send('POST', '/apps/shop/runs', s, { pipeline: 'build', branch: 'a b' }, true);
    expect(form.status).toBe(400);
    expect(await form.text()).toContain('is not a valid branch name');
    const body = JSON.stringify({ ref: `refs/heads/${bad}`, after: repo.head() });
    const signature = `sha256=${createHmac('sha256', await core.getWebhookSecret(shop.id, admin)).update(body).digest('hex')}`;
    const hook = await app.request('/hooks/github/shop', { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature } });
    expect(hook.status).toBe(400);
    expect((await core.listRuns({})).runs).toEqual([]);
  });
});

