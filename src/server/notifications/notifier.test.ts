import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempGitRepo } from '../../../test/helpers/git-repo.ts';
import { openStore } from '../../store/db.ts';
import { createApp } from '../app.ts';
import type { ServerEnv, Session, User } from '../context.ts';
import { createServerCore, type Core } from '../service.ts';

// Rules, deliveries and their record through the real core (SQLite in memory, a real git repo)
// and a real HTTP receiver on loopback; runs are claimed and finished through the runner side.
const repo = tempGitRepo({ 'wercker.yml': 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        code: "true"\ndeploy:\n  steps:\n    - script:\n        code: "true"\n' }, 'werker-notify-unit');
afterAll(() => repo.remove());
const SECRET = 'hunter2-protected-value';
const PASSWORD = 'long enough password';

interface Hit { headers: Record<string, string | string[] | undefined>; body: string }
let receiver: { url: string; hits: Hit[]; answers: number[]; server: Server };
let dataDir: string;
let core: Core;
let http: Hono<ServerEnv>;
let admin: User;
let member: User;

beforeEach(async () => {
  const hits: Hit[] = [];
  const answers: number[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      hits.push({ headers: req.headers, body });
      res.writeHead(answers.shift() ?? 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ci-token-in-path`, hits, answers, server };
  dataDir = mkdtempSync(path.join(tmpdir(), 'werker-notify-unit-'));
  core = createServerCore(await openStore(':memory:'), { dataDir, leaseMs: 60_000, allowLocalRepos: [tmpdir()], baseUrl: 'https://ci.example.test', notificationPolicy: { firstDelayMs: 20, attempts: 3, timeoutMs: 2_000 } });
  http = createApp(core);
  admin = await core.auth.createUser('ada', PASSWORD);
  member = await core.auth.createUser('bob', PASSWORD);
});
afterEach(async () => {
  await core.notifier.stop();
  await core.store.close();
  await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
  rmSync(dataDir, { recursive: true, force: true });
});

/** Queues a run, claims it and finishes it with `status` (and `message`), as a runner would. */
async function finishRun(appId: number, status: 'passed' | 'failed', opts: { pipeline?: string; branch?: string; message?: string } = {}) {
  const run = await core.triggerRun(appId, opts.pipeline ?? 'build', opts.branch ? { branch: opts.branch } : {}, admin);
  const job = (await core.runners.claim('r1'))!;
  expect(job.runId).toBe(run.id);
  await core.runners.finish(run.id, job.lease, { status, durationMs: 1500, ...(opts.message ? { message: opts.message } : {}) });
  await core.runChanges.settled();
  await core.notifier.settled();
  return run;
}

const sessionOf = async (name: string): Promise<Session> => (await core.auth.login(name, PASSWORD))!;
const call = (s: Session, method: string, url: string, body?: unknown) => http.request(url, {
  method, headers: { cookie: `werker_session=${s.token}`, 'x-csrf-token': s.csrfToken, ...(body ? { 'content-type': 'application/json' } : {}) },
  ...(body ? { body: JSON.stringify(body) } : {}),
});

describe('notification rules on the real core', () => {
  it('sends on failure and on recovery, judged against the previous run of the same pipeline and branch, signed with the rule\'s secret', async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
    repo.commit({ 'feature.txt': 'x' });
    const secret = 'whsec_test-secret-0123456789';
    await core.notifications.create(shop.id, { when: 'failure', channel: 'webhook', url: receiver.url, secret, pipelines: ['build'] }, admin);
    await core.notifications.create(shop.id, { when: 'recovery', channel: 'webhook', url: receiver.url, secret, pipelines: ['build'] }, admin);

    await finishRun(shop.id, 'passed');
    expect(receiver.hits).toHaveLength(0);
    const failed = await finishRun(shop.id, 'failed', { message: 'step failed' });
    await finishRun(shop.id, 'passed', { pipeline: 'deploy' }); // another pipeline: no rule for it, and no effect on build's history
    const recovered = await finishRun(shop.id, 'passed');
    await finishRun(shop.id, 'passed'); // a pass after a pass: nothing

    const bodies = receiver.hits.map((h) => JSON.parse(h.body) as { reason: string; run: { id: number; status: string; previousStatus: string | null; url: string } });
    expect(bodies.map((b) => [b.reason, b.run.id, b.run.status, b.run.previousStatus])).toEqual([
      ['failure', failed.id, 'failed', 'passed'], ['recovery', recovered.id, 'passed', 'failed'],
    ]);
    expect(bodies[0]!.run.url).toBe(`https://ci.example.test/runs/${failed.id}`);
    for (const hit of receiver.hits) {
      expect(hit.headers['x-werker-signature']).toBe(`sha256=${createHmac('sha256', secret).update(hit.body).digest('hex')}`);
      expect(JSON.parse(hit.body).deliveryId).toBe(hit.headers['x-werker-delivery']);
    }
  });

  it('a recovery is per branch: a pass on main after a failure on a feature branch is no recovery', async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
    await core.notifications.create(shop.id, { when: 'recovery', channel: 'slack', url: receiver.url }, admin);
    const git = (await import('node:child_process')).execFileSync;
    git('git', ['branch', '-f', 'feature'], { cwd: repo.dir });
    await finishRun(shop.id, 'failed', { branch: 'feature' });
    await finishRun(shop.id, 'passed');
    expect(receiver.hits).toHaveLength(0);
    const back = await finishRun(shop.id, 'passed', { branch: 'feature' });
    expect(receiver.hits).toHaveLength(1);
    expect(JSON.parse(receiver.hits[0]!.body).text).toContain(`run #${back.id}`);
  });

  it('retries a 500 with backoff and records the last delivery on the rule; a 404 is not retried', async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
    await core.notifications.create(shop.id, { when: 'always', channel: 'webhook', url: receiver.url }, admin);
    receiver.answers.push(500, 200);
    const first = await finishRun(shop.id, 'failed');
    expect(receiver.hits).toHaveLength(2);
    expect(receiver.hits[0]!.headers['x-werker-delivery']).toBe(receiver.hits[1]!.headers['x-werker-delivery']);
    let [rule] = await core.notifications.list(shop.id, admin);
    expect(rule!.lastDelivery).toMatchObject({ runId: first.id, status: 'delivered', attempts: 2, detail: 'HTTP 200 OK' });

    receiver.answers.push(404);
    const second = await finishRun(shop.id, 'passed');
    expect(receiver.hits).toHaveLength(3);
    [rule] = await core.notifications.list(shop.id, admin);
    expect(rule!.lastDelivery).toMatchObject({ runId: second.id, status: 'failed', attempts: 1, detail: 'HTTP 404 Not Found' });

    receiver.answers.push(503, 503, 503);
    await finishRun(shop.id, 'passed');
    expect(receiver.hits).toHaveLength(6);
    [rule] = await core.notifications.list(shop.id, admin);
    expect(rule!.lastDelivery).toMatchObject({ status: 'failed', attempts: 3, detail: 'HTTP 503 Service Unavailable' });
  });

  it('masks the application\'s protected values in what it sends, even in a message stored before the variable existed', async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
    await core.notifications.create(shop.id, { when: 'failure', channel: 'webhook', url: receiver.url }, admin);
    await core.notifications.create(shop.id, { when: 'failure', channel: 'slack', url: receiver.url }, admin);
    const run = await core.triggerRun(shop.id, 'build', {}, admin);
    const job = (await core.runners.claim('r1'))!;
    // Set after the claim: the store masked the message with the variables the claim had, so it keeps the value…
    await core.setVariable(shop.id, { name: 'TOKEN', value: SECRET, protected: true }, admin);
    await core.runners.finish(run.id, job.lease, { status: 'failed', durationMs: 5, message: `could not log in with ${SECRET}` });
    await core.runChanges.settled();
    await core.notifier.settled();
    expect((await core.getRun(run.id))!.message).toContain(SECRET);
    // …and the notifications mask it anyway.
    expect(receiver.hits).toHaveLength(2);
    for (const hit of receiver.hits) {
      expect(hit.body).not.toContain(SECRET);
      expect(hit.body).toContain('could not log in with ***');
    }
  });

  it('only maintainers and admins see or change the rules, and the URL and the signing secret never come back', async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
    const ada = await sessionOf('ada');
    const bob = await sessionOf('bob');
    const made = await call(ada, 'POST', '/api/applications/shop/notifications', { when: 'failure', channel: 'webhook', url: receiver.url, branches: ['main', 'release/*'] });
    expect(made.status).toBe(201);
    const { rule, signingSecret } = (await made.json()) as { rule: { id: number; target: string; branches: string[] }; signingSecret: string };
    expect(signingSecret).toMatch(/^whsec_.{40,}$/);
    expect(rule.target).toBe(`${new URL(receiver.url).origin}/…`);
    expect(rule.branches).toEqual(['main', 'release/*']);
    const slack = await call(ada, 'POST', '/api/applications/shop/notifications', { when: 'always', channel: 'slack', url: 'https://hooks.slack.com/services/T0/B0/slack-key-secret' });
    expect(((await slack.json()) as { signingSecret?: string }).signingSecret).toBeUndefined();

    const listed = await call(ada, 'GET', '/api/applications/shop/notifications');
    const text = await listed.text();
    expect(listed.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ emailEnabled: false, rules: [{ id: rule.id, channel: 'webhook' }, { channel: 'slack', target: 'https://hooks.slack.com/…' }] });
    expect(text).not.toContain(signingSecret);
    expect(text).not.toContain('ci-token-in-path');
    expect(text).not.toContain('slack-key-secret');
    const page = await (await http.request(`/apps/${shop.id}`, { headers: { cookie: `werker_session=${ada.token}` } })).text();
    expect(page).toContain('id="notification-list"');
    expect(page).not.toContain(signingSecret);
    expect(page).not.toContain('slack-key-secret');

    expect((await call(bob, 'GET', '/api/applications/shop/notifications')).status).toBe(403);
    expect((await call(bob, 'POST', '/api/applications/shop/notifications', { when: 'failure', channel: 'slack', url: receiver.url })).status).toBe(403);
    expect((await call(bob, 'DELETE', `/api/applications/shop/notifications/${rule.id}`)).status).toBe(403);
    const bobPage = await (await http.request(`/apps/${shop.id}`, { headers: { cookie: `werker_session=${bob.token}` } })).text();
    expect(bobPage).toContain('Only this application&#39;s maintainers and admins see or change its notifications.');
    await core.addMaintainer(shop.id, 'bob', admin);
    expect((await call(bob, 'DELETE', `/api/applications/shop/notifications/${rule.id}`)).status).toBe(204);
    expect((await call(bob, 'DELETE', `/api/applications/shop/notifications/${rule.id}`)).status).toBe(404);
    expect((await call(ada, 'POST', '/api/applications/shop/notifications', { when: 'failure', channel: 'email', recipients: ['dev@example.com'] })).status).toBe(400);
    void member;
  });

  it('the settings page form adds a rule with the CSRF token only, and shows a made signing secret once', async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
    const ada = await sessionOf('ada');
    const form = (fields: Record<string, string>) => http.request(`/apps/${shop.id}/notifications`, {
      method: 'POST', headers: { cookie: `werker_session=${ada.token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(),
    });
    expect((await form({ when: 'failure', channel: 'webhook', url: receiver.url })).status).toBe(403);
    const answered = await form({ _csrf: ada.csrfToken, when: 'failure', channel: 'webhook', url: receiver.url, pipelines: 'build', branches: '' });
    expect(answered.status).toBe(200);
    const secret = /id="notification-secret">([^<]+)</.exec(await answered.text())?.[1];
    expect(secret).toMatch(/^whsec_/);
    const later = await (await http.request(`/apps/${shop.id}`, { headers: { cookie: `werker_session=${ada.token}` } })).text();
    expect(later).not.toContain(secret!);
    expect(later).toContain('signed webhook');
    const bad = await form({ _csrf: ada.csrfToken, when: 'failure', channel: 'slack', url: 'ftp://x' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('the URL must be http:// or https://');
    const [rule] = await core.notifications.list(shop.id, admin);
    const removed = await http.request(`/apps/${shop.id}/notifications/${rule!.id}/delete`, {
      method: 'POST', headers: { cookie: `werker_session=${ada.token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${ada.csrfToken}`,
    });
    expect(removed.status).toBe(303);
    expect(await core.notifications.list(shop.id, admin)).toEqual([]);
  });

  it('a deleted application takes its rules with it', async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
    await core.notifications.create(shop.id, { when: 'always', channel: 'slack', url: receiver.url }, admin);
    await core.deleteApplication(shop.id, admin);
    expect(await core.store.db.selectFrom('notification_rules').selectAll().execute()).toEqual([]);
  });
});
