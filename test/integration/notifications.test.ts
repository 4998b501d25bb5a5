import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationRule, Run } from '../../src/server/context.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { openStore } from '../../src/store/db.ts';
import { deleteNotificationRuleRow, insertNotificationRule, listNotificationRuleRows, previousResult, recordDelivery } from '../../src/store/notifications.ts';
import { createRun } from '../../src/store/runs.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { apiClient, scratchDatabase, testDatabaseUrl } from '../helpers/server.ts';
import { startSlackWebhook, type SlackWebhook } from '../helpers/slack-webhook.ts';
import { startSmtpServer, type SmtpServer } from '../helpers/smtp.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Notifications end to end: werker server with its embedded runner on the real engine runs a
// failing then a passing build; a webhook receiver on loopback (checking the signature), a
// Slack-compatible endpoint (checking Slack's documented payload) and a real SMTP server
// (smtp-server, STARTTLS with a certificate of a CA made here, AUTH) receive what it sends.
const docker = await requireDocker();
const SECRET = `tok-${randomBytes(8).toString('hex')}`;
const APP = `notify-${randomBytes(3).toString('hex')}`;
const SIGNING = `whsec_${randomBytes(16).toString('hex')}`;
const SMTP_LOGIN = { user: 'werker-mailer', password: `smtp-${randomBytes(8).toString('hex')}` };
const YML = `box: ${BUSYBOX}
build:
  steps:
    - script:
        name: check
        code: |
          echo "using $API_TOKEN"
          test -f pass.txt
`;

interface Hit { at: number; path: string; headers: IncomingMessage['headers']; body: string }

/** An HTTP receiver on loopback: records each request with its arrival time and answers with the next queued status (200 when none). */
async function startReceiver(answers: number[] = []): Promise<{ url: string; hits: Hit[]; close(): Promise<void> }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      hits.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, body });
      res.writeHead(answers.shift() ?? 200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await listen(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => closeServer(server) };
}

/** A receiver that reads the request and never answers. */
async function startStall(): Promise<{ url: string; open: ServerResponse[]; close(): Promise<void> }> {
  const open: ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    open.push(res);
  });
  await listen(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hang`, open,
    close: () => {
      server.closeAllConnections();
      return closeServer(server);
    },
  };
}

const listen = (server: Server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** A CA and a certificate for 127.0.0.1 signed by it (openssl), as a private mail server would have. */
function makeCertificates(dir: string): { ca: string; key: string; cert: string } {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=werker test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'smtp.key', '-out', 'smtp.csr');
  execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1,DNS:localhost\\n" > san.ext'], { cwd: dir });
  run('x509', '-req', '-in', 'smtp.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'smtp.pem');
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  return { ca: read('ca.pem'), key: read('smtp.key'), cert: read('smtp.pem') };
}

const verify = (secret: string, hit: Hit): boolean => {
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(Buffer.from(hit.body, 'utf8')).digest('hex')}`);
  const got = Buffer.from(String(hit.headers['x-werker-signature'] ?? ''));
  return got.length === want.length && timingSafeEqual(got, want);
};

describe.skipIf(!docker)('notifications from werker server on run end', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-notify-it');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-notify-it-'));
  const certDir = mkdtempSync(path.join(tmpdir(), 'werker-notify-certs-'));
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  let stall: Awaited<ReturnType<typeof startStall>>;
  let slack: SlackWebhook;
  let smtp: SmtpServer;
  let madeSecret: string;
  const logs: string[] = [];

  beforeAll(async () => {
    const certs = makeCertificates(certDir);
    smtp = await startSmtpServer(SMTP_LOGIN, { key: certs.key, cert: certs.cert });
    hooks = await startReceiver([500]);
    stall = await startStall();
    slack = await startSlackWebhook({ builds: ['ci'] });
    const [host, port] = smtp.host.split(':') as [string, string];
    server = await startServer({
      dataDir, host: '127.0.0.1', port: 0, runners: 1, runtime: docker!, leaseMs: 15_000, log: (l) => logs.push(l), allowLocalRepos: [tmpdir()],
      smtp: { host, port: Number(port), security: 'starttls', ...SMTP_LOGIN, from: 'werker CI <ci@werker.test>', ca: certs.ca },
      notificationPolicy: { firstDelayMs: 300, timeoutMs: 4_000, attempts: 3 },
    });
    const user = await server.core.auth.createUser('tester', 'long enough password');
    api = apiClient(server.url, (await server.core.auth.createToken('user', 'it', user)).token);
    await api.post('/api/applications', { name: APP, repository: repo.dir });
    await api.post(`/api/applications/${APP}/variables`, { name: 'API_TOKEN', value: SECRET, protected: true });
    await api.post(`/api/applications/${APP}/notifications`, { when: 'failure', channel: 'webhook', url: `${hooks.url}/failure`, secret: SIGNING, pipelines: ['build'] });
    madeSecret = (await api.post<{ signingSecret: string }>(`/api/applications/${APP}/notifications`, { when: 'recovery', channel: 'webhook', url: `${hooks.url}/recovery` })).signingSecret;
    await api.post(`/api/applications/${APP}/notifications`, { when: 'always', channel: 'slack', url: slack.url('builds'), branches: ['main'] });
    await api.post(`/api/applications/${APP}/notifications`, { when: 'always', channel: 'email', recipients: ['dev@werker.test, ops@werker.test'] });
    await api.post(`/api/applications/${APP}/notifications`, { when: 'always', channel: 'webhook', url: stall.url });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await Promise.all([hooks?.close(), stall?.close(), slack?.close(), smtp?.close()]);
    for (const dir of [dataDir, certDir]) rmSync(dir, { recursive: true, force: true });
    repo.remove();
  });

  /** Queues a build and waits until it ended; the time it took is what a never-answering receiver must not lengthen. */
  async function build(): Promise<{ run: Run; finishedAt: number }> {
    const { run } = await api.post<{ run: Run }>(`/api/applications/${APP}/runs`, { pipeline: 'build' });
    const done = await waitFor(`run ${run.id} to end`, async () => {
      const { run: r } = await api.get<{ run: Run }>(`/api/runs/${run.id}`);
      return r.status === 'passed' || r.status === 'failed' ? r : undefined;
    }, 180_000, 100);
    return { run: done, finishedAt: Date.parse(done.finishedAt!) };
  }

  it('a failing then a passing build: the signed webhook (retried after a 500), the Slack message and the email arrive, and a silent receiver delays nothing', async () => {
    const failed = await build();
    expect(failed.run.status).toBe('failed');
    // The run ended while the silent receiver still holds its request open.
    await waitFor('the silent receiver to get the failure', async () => (stall.open.length >= 1 ? true : undefined), 20_000, 50);
    expect(stall.open[0]!.writableEnded).toBe(false);
    expect(stall.open[0]!.req.headers['x-werker-delivery']).toBeDefined();

    const failureHits = await waitFor('the failure webhook, retried', async () => (hooks.hits.length >= 2 ? hooks.hits.slice(0, 2) : undefined), 30_000, 50);
    // The healthy receiver did not wait for the silent one's timeout (4 s) either.
    expect(failureHits[0]!.at - failed.finishedAt).toBeLessThan(4_000);
    const failMail = await waitFor('the failure email', async () => smtp.mails[0], 30_000, 50);
    await waitFor('the failure Slack message', async () => slack.messages[0], 30_000, 50);

    repo.commit({ 'pass.txt': 'now it passes\n' });
    const passed = await build();
    expect(passed.run.status).toBe('passed');
    const recoveryHit = await waitFor('the recovery webhook', async () => hooks.hits[2], 30_000, 50);
    const passMail = await waitFor('the recovery email', async () => smtp.mails[1], 30_000, 50);
    await waitFor('the recovery Slack message', async () => slack.messages[1], 30_000, 50);

    // The generic webhook: first answered 500, then the same delivery again, signed, with the run's facts.
    expect(failureHits.map((h) => h.path)).toEqual(['/failure', '/failure']);
    expect(failureHits[0]!.headers['x-werker-delivery']).toBe(failureHits[1]!.headers['x-werker-delivery']);
    for (const hit of failureHits) expect(verify(SIGNING, hit)).toBe(true);
    expect(verify(madeSecret, failureHits[0]!)).toBe(false);
    const failure = JSON.parse(failureHits[1]!.body);
    expect(failure).toMatchObject({
      event: 'run.finished', reason: 'failure', deliveryId: failureHits[1]!.headers['x-werker-delivery'], application: { name: APP },
      run: { id: failed.run.id, pipeline: 'build', branch: 'main', commit: failed.run.commit, status: 'failed', previousStatus: null, trigger: 'api', triggeredBy: 'tester', url: `${server.url}/runs/${failed.run.id}` },
    });
    expect(Math.abs(failure.timestamp - Number(failureHits[1]!.headers['x-werker-timestamp']))).toBe(0);
    expect(Math.abs(failure.timestamp * 1000 - failureHits[1]!.at)).toBeLessThan(2_000);
    expect(failure.run.durationMs).toBeGreaterThan(0);

    expect(recoveryHit.path).toBe('/recovery');
    expect(verify(madeSecret, recoveryHit)).toBe(true);
    expect(JSON.parse(recoveryHit.body)).toMatchObject({ reason: 'recovery', run: { id: passed.run.id, status: 'passed', previousStatus: 'failed', message: null } });
    expect(hooks.hits).toHaveLength(3); // no failure webhook for the pass, no recovery one for the failure

    // Slack: documented payloads only, text and blocks, the run linked.
    expect(slack.problems).toEqual([]);
    expect(slack.messages.map((m) => m.payload.text)).toEqual([
      `:x: ${APP} build failed on main (${failed.run.commit.slice(0, 7)}) — <${server.url}/runs/${failed.run.id}|run #${failed.run.id}>`,
      `:white_check_mark: ${APP} build passed again on main (${passed.run.commit.slice(0, 7)}) — <${server.url}/runs/${passed.run.id}|run #${passed.run.id}>`,
    ]);
    expect(slack.messages.every((m) => Array.isArray(m.payload.blocks) && m.contentType === 'application/json')).toBe(true);

    // Email: over STARTTLS with the login, to both recipients, from the configured sender.
    for (const mail of [failMail, passMail]) {
      expect(mail).toMatchObject({ user: SMTP_LOGIN.user, secure: true, from: 'ci@werker.test', to: ['dev@werker.test', 'ops@werker.test'] });
      expect(mail.headers['auto-submitted']).toBe('auto-generated');
      expect(mail.headers.from).toBe('werker CI <ci@werker.test>');
      expect(mail.headers.to).toBe('dev@werker.test, ops@werker.test');
    }
    expect(failMail.headers.subject).toBe(`[werker] ${APP} build failed on main (${failed.run.commit.slice(0, 7)})`);
    expect(failMail.headers['x-werker-run']).toBe(String(failed.run.id));
    expect(failMail.body).toContain(`The run: ${server.url}/runs/${failed.run.id}`);
    expect(passMail.headers.subject).toBe(`[werker] ${APP} build passed again on main (${passed.run.commit.slice(0, 7)})`);
    expect(passMail.body).toContain('Status:      passed (the run before: failed)');

    // Nothing sent, stored or logged holds a protected value, the SMTP password or a rule's secret.
    const sent = [...hooks.hits.map((h) => h.body), ...slack.messages.map((m) => JSON.stringify(m.payload)), ...smtp.mails.map((m) => m.raw)].join('\n');
    expect(sent).not.toContain(SECRET);
    const rules = await api.get<{ rules: NotificationRule[] }>(`/api/applications/${APP}/notifications`);
    const shown = JSON.stringify(rules) + logs.join('\n');
    for (const secret of [SECRET, SMTP_LOGIN.password, SIGNING, madeSecret, 's3cr3tbuilds']) expect(shown).not.toContain(secret);
    expect(rules.rules[0]!.lastDelivery).toMatchObject({ runId: failed.run.id, status: 'delivered', attempts: 2, detail: 'HTTP 200 OK' });
    expect(rules.rules[3]!.lastDelivery).toMatchObject({ runId: passed.run.id, status: 'delivered', attempts: 1 });
    expect(rules.rules[4]!.lastDelivery).toMatchObject({ status: 'sending' });
    expect(rules.rules[4]!.lastDelivery!.detail).toMatch(/no answer within 4 s; trying again|sending/);

    const latency = {
      webhookMs: recoveryHit.at - passed.finishedAt, emailMs: passMail.receivedAt - passed.finishedAt,
      firstWebhookMs: failureHits[0]!.at - failed.finishedAt, firstEmailMs: failMail.receivedAt - failed.finishedAt,
    };
    console.log(`[measure] run end → webhook ${latency.firstWebhookMs} ms / ${latency.webhookMs} ms, → email arrived ${latency.firstEmailMs} ms / ${latency.emailMs} ms (failure / recovery)`);
    expect(latency.webhookMs).toBeLessThan(5_000);
    expect(latency.emailMs).toBeLessThan(10_000);
  }, 420_000);
});

const pgUrl = testDatabaseUrl();

describe.skipIf(!pgUrl)('notification rules on PostgreSQL', () => {
  it('migrates, keeps rules and their last delivery, and finds the previous result of the same pipeline and branch', async () => {
    const db = await scratchDatabase(pgUrl!);
    const store = await openStore(db.url);
    try {
      const rule = await insertNotificationRule(store, 1, { trigger_on: 'recovery', pipelines: 'build', branches: 'main', channel: 'slack', target: 'http://127.0.0.1:9/x', signing_secret: null, created_by: 'ada' });
      await recordDelivery(store, rule.id, { runId: 3, status: 'delivered', attempts: 2, detail: 'HTTP 200 OK' });
      expect(await listNotificationRuleRows(store, 1)).toMatchObject([{ id: rule.id, trigger_on: 'recovery', last_run_id: 3, last_status: 'delivered', last_attempts: 2 }]);
      const run = (pipeline: string, branch: string) => createRun(store, { application_id: 1, pipeline, kind: 'build', branch, commit_sha: 'c0ffee', trigger: 'api', triggered_by: 'ada' });
      const failed = await run('build', 'main');
      await store.db.updateTable('runs').set({ status: 'failed' }).where('id', '=', failed.id).execute();
      const otherBranch = await run('build', 'feature');
      await store.db.updateTable('runs').set({ status: 'passed' }).where('id', '=', otherBranch.id).execute();
      const cancelled = await run('build', 'main');
      await store.db.updateTable('runs').set({ status: 'cancelled' }).where('id', '=', cancelled.id).execute();
      const now = await run('build', 'main');
      expect(await previousResult(store, now)).toBe('failed');
      expect(await previousResult(store, failed)).toBeUndefined();
      expect(await deleteNotificationRuleRow(store, 1, rule.id)).toBe(true);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
