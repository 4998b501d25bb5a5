import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotificationRule } from '../../src/server/context.ts';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/start.ts';
import { openStore } from '../../src/store/db.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { failedRunWithWebhook } from '../helpers/failed-run-notice.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { scratchDatabase, sleep, testDatabaseUrl } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait-for.ts';

// A notification delivery outlives the server process that began it: a webhook receiver on
// loopback answers 503 first, the server stops (or its process is killed) while the delivery waits for its next attempt, a
// new server on the same store (the data dir's SQLite file, or one PostgreSQL database) sends it
// again with the same delivery id — at once after a stop, after the dead process's lease after a
// kill — and the delivery ends `delivered`. Runs are claimed and finished
// through the runner side of the core (no engine needed: the notification is what is tested).
const repo = tempGitRepo({ 'wercker.yml': 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        code: "false"\n' }, 'werker-notify-restart');
afterAll(() => repo.remove());
const RETRY_MS = 3_000;
const pgUrl = testDatabaseUrl();

interface Hit { at: number; headers: IncomingMessage['headers']; body: string }

async function startReceiver(answers: number[]): Promise<{ url: string; hits: Hit[]; close(): Promise<void> }> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      hits.push({ at: Date.now(), headers: req.headers, body });
      res.writeHead(answers.shift() ?? 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.each([['SQLite', true], ['PostgreSQL', Boolean(pgUrl)]] as const)('a notification delivery across a server restart, on %s', (backend, available) => {
  let dataDir: string;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const servers: RunningServer[] = [];
  const start = async () => {
    const opts: ServerOptions = {
      dataDir, host: '127.0.0.1', port: 0, runners: 0, allowLocalRepos: [tmpdir()], log: () => undefined,
      notificationPolicy: { firstDelayMs: RETRY_MS, attempts: 3, timeoutMs: 2_000 }, ...(database ? { database: database.url } : {}),
    };
    const server = await startServer(opts);
    servers.push(server);
    return server;
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'werker-notify-restart-'));
    database = backend === 'PostgreSQL' && pgUrl ? await scratchDatabase(pgUrl) : undefined;
    receiver = await startReceiver([503]);
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close().catch(() => undefined);
    await receiver.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(!available)('the server stops while the delivery waits to retry; the next server sends it with the same id and it ends delivered', async () => {
    const first = await start();
    const { ada, app, run } = await failedRunWithWebhook(first, repo.dir, receiver.url, 'whsec_restart-test-secret');

    const answered503 = await waitFor('the first attempt (answered 503)', async () => receiver.hits[0], 20_000, 20);
    // The receiver has answered; the outcome reaches the store a moment later.
    const waiting = await waitFor('the 503 to be recorded', async () => {
      const [r] = await first.core.notifications.list(app.id, ada);
      return r?.lastDelivery?.attempts === 1 ? r : undefined;
    }, 10_000, 20);
    expect(waiting.lastDelivery).toMatchObject({ runId: run.id, status: 'sending', attempts: 1, detail: `HTTP 503 Service Unavailable; trying again in ${RETRY_MS / 1000} s` });
    await first.close();
    servers.splice(0);

    // Past the time the retry was due: the stopped server sent nothing more.
    await sleep(Math.max(0, answered503.at + RETRY_MS + 500 - Date.now()));
    expect(receiver.hits).toHaveLength(1);

    const second = await start();
    const delivered = await waitFor('the retry from the new server', async () => receiver.hits[1], 20_000, 20);
    expect(delivered.at - answered503.at).toBeGreaterThanOrEqual(RETRY_MS);
    expect(delivered.headers['x-werker-delivery']).toBe(answered503.headers['x-werker-delivery']);
    expect(JSON.parse(delivered.body)).toMatchObject({ deliveryId: answered503.headers['x-werker-delivery'], reason: 'failure', run: { id: run.id, status: 'failed', message: 'step failed' } });
    const admin = (await second.core.auth.login('ada', 'long enough password'))!;
    const rule = await waitFor('the delivery to end', async () => {
      const [r] = await second.core.notifications.list(app.id, admin.user);
      return r?.lastDelivery?.status === 'sending' ? undefined : r;
    }, 10_000, 20) as NotificationRule;
    expect(rule.lastDelivery).toMatchObject({ runId: run.id, status: 'delivered', attempts: 2, detail: 'HTTP 200 OK' });
    const row = await second.core.store.db.selectFrom('notification_deliveries').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ id: answered503.headers['x-werker-delivery'], status: 'delivered', attempts: 2, lease_id: null });
    expect(receiver.hits).toHaveLength(2);
  }, 60_000);
  it.skipIf(!available)('the server process is killed (SIGKILL) while the delivery waits to retry; once its lease is over the next server sends it with the same id', async () => {
    const policy = { firstDelayMs: 2_000, attempts: 3, timeoutMs: 2_000, leaseMarginMs: 500 };
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(repoRoot, 'test/helpers/notify-server-process.ts'),
      JSON.stringify({ dataDir, ...(database ? { database: database.url } : {}), repo: repo.dir, receiver: receiver.url, policy })], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      const answered503 = await waitFor('the first attempt (answered 503)', async () => receiver.hits[0], 60_000, 20).catch((err: Error) => {
        throw new Error(`${err.message}\n${output}`);
      });
      // Killed once the 503's outcome and the retry's due time are in the store (read through a store of the test's own).
      const watch = await openStore(database?.url ?? path.join(dataDir, 'werker.db'));
      try {
        await waitFor('the retry to be stored (and the run\'s id printed)', async () => {
          const r = await watch.db.selectFrom('notification_deliveries').select('attempts').executeTakeFirst();
          return r?.attempts === 1 && /"runId":\d+/.test(output) ? true : undefined;
        }, 10_000, 20);
      } finally {
        await watch.close();
      }
      child.kill('SIGKILL');
      await exited;
      const runId = (JSON.parse(output.split('\n').find((l) => l.startsWith('{"runId"'))!) as { runId: number }).runId;

      // The dead process held the delivery until its next attempt was due + the attempt's time limit + the margin.
      await sleep(Math.max(0, answered503.at + policy.firstDelayMs + policy.timeoutMs + policy.leaseMarginMs + 1_000 - Date.now()));
      expect(receiver.hits).toHaveLength(1);
      const next = await start();
      const delivered = await waitFor('the retry from the new server', async () => receiver.hits[1], 20_000, 20);
      expect(delivered.headers['x-werker-delivery']).toBe(answered503.headers['x-werker-delivery']);
      expect(JSON.parse(delivered.body)).toMatchObject({ deliveryId: answered503.headers['x-werker-delivery'], reason: 'failure', run: { id: runId, status: 'failed' } });
      const row = await waitFor('the delivery to end', async () => {
        const r = await next.core.store.db.selectFrom('notification_deliveries').selectAll().executeTakeFirstOrThrow();
        return r.status === 'sending' ? undefined : r;
      }, 10_000, 20);
      expect(row).toMatchObject({ id: answered503.headers['x-werker-delivery'], status: 'delivered', attempts: 2, detail: 'HTTP 200 OK', lease_id: null });
      const [rule] = await next.core.store.db.selectFrom('notification_rules').selectAll().execute();
      expect(rule).toMatchObject({ last_run_id: runId, last_status: 'delivered', last_attempts: 2 });
      expect(receiver.hits).toHaveLength(2);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  }, 120_000);
});
