import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeBackends } from '../../../test/helpers/server.ts';
import { isoNow, type Store } from '../../store/db.ts';
import { deleteNotificationRuleRow, insertDelivery, insertNotificationRule, listNotificationRuleRows, type NewDeliveryRow } from '../../store/notifications.ts';
import { createRun } from '../../store/runs.ts';
import { Notifier } from './sender.ts';

// Deliveries a server process left in the store, taken up by another one: on SQLite and on
// PostgreSQL (where several processes share the store), with a real HTTP receiver on loopback.
interface Hit { delivery: string | undefined; body: string }
const backends = storeBackends().filter(([, open]) => open !== undefined);

describe.each(backends)('notification deliveries left unfinished, on %s', (_name, open) => {
  let store: Store;
  let drop: () => Promise<void>;
  let receiver: { url: string; hits: Hit[]; server: Server };
  const notifiers: Notifier[] = [];
  const notifier = () => {
    const n = new Notifier({ store, baseUrl: () => 'https://ci.example.test', policy: { firstDelayMs: 20, attempts: 3, timeoutMs: 2_000 }, log: () => undefined });
    notifiers.push(n);
    return n;
  };

  beforeEach(async () => {
    ({ store, drop } = await open!());
    const hits: Hit[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        hits.push({ delivery: req.headers['x-werker-delivery'] as string | undefined, body });
        if (req.url === '/hang') return; // never answered (the server closes it)
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits, server };
  });
  afterEach(async () => {
    for (const n of notifiers.splice(0)) await n.stop();
    await store.close();
    await drop();
    receiver.server.closeAllConnections();
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
  });

  const getDeliveryRow = (id: string) => store.db.selectFrom('notification_deliveries').selectAll().where('id', '=', id).executeTakeFirst();

  /** A failed run with a webhook rule, and a delivery of it one attempt in, held as `lease`/`leaseUntil` say. */
  async function leftDelivery(id: string, lease: { id: string | null; until: string | null }): Promise<{ ruleId: number; runId: number; row: NewDeliveryRow }> {
    const appId = (await store.db.insertInto('applications').values({ name: `shop-${id}`, repository: '/r', default_branch: 'main', workflow: null, webhook_secret: 's', created_at: isoNow() }).returning('id').executeTakeFirstOrThrow()).id;
    const run = await createRun(store, { application_id: appId, pipeline: 'build', kind: 'build', branch: 'main', commit_sha: 'c'.repeat(40), trigger: 'api', triggered_by: 'ada' });
    await store.db.updateTable('runs').set({ status: 'failed', finished_at: isoNow() }).where('id', '=', run.id).execute();
    const rule = await insertNotificationRule(store, appId, { trigger_on: 'failure', pipelines: '', branches: '', channel: 'webhook', target: receiver.url, signing_secret: 'whsec_x', created_by: 'ada' });
    const row: NewDeliveryRow = { id, rule_id: rule.id, application_id: appId, run_id: run.id, reason: 'failure', previous_status: 'passed', next_attempt_at: isoNow(), lease_id: lease.id, lease_until: lease.until };
    await insertDelivery(store, row);
    await store.db.updateTable('notification_deliveries').set({ attempts: 1, detail: 'HTTP 503 Service Unavailable; trying again in 0 s' }).where('id', '=', id).execute();
    return { ruleId: rule.id, runId: run.id, row };
  }

  it('a delivery whose process died (lease over) is taken up by exactly one of two processes, with its id, and ends delivered', async () => {
    const { runId } = await leftDelivery('d-dead-process', { id: 'dead', until: isoNow(-1000) });
    const [a, b] = [notifier(), notifier()];
    const taken = await Promise.all([a.resume(), b.resume()]);
    expect(taken.sort()).toEqual([0, 1]);
    await Promise.all([a.settled(), b.settled()]);
    expect(receiver.hits.map((h) => h.delivery)).toEqual(['d-dead-process']);
    expect(JSON.parse(receiver.hits[0]!.body)).toMatchObject({ deliveryId: 'd-dead-process', reason: 'failure', run: { id: runId, status: 'failed', previousStatus: 'passed' } });
    expect(await getDeliveryRow('d-dead-process')).toMatchObject({ status: 'delivered', attempts: 2, detail: 'HTTP 200 OK', lease_id: null });
    expect(await listNotificationRuleRows(store, (await getDeliveryRow('d-dead-process'))!.application_id)).toMatchObject([{ last_run_id: runId, last_status: 'delivered', last_attempts: 2 }]);
  });

  it('a delivery another live process holds is left to it', async () => {
    await leftDelivery('d-held', { id: 'alive', until: isoNow(60_000) });
    expect(await notifier().resume()).toBe(0);
    expect(receiver.hits).toEqual([]);
    expect(await getDeliveryRow('d-held')).toMatchObject({ status: 'sending', attempts: 1, lease_id: 'alive' });
  });

  it('ends failed, saying why, when its rule was deleted or its run is gone', async () => {
    const ruleGone = await leftDelivery('d-rule-gone', { id: null, until: null });
    await deleteNotificationRuleRow(store, ruleGone.row.application_id, ruleGone.ruleId);
    const runGone = await leftDelivery('d-run-gone', { id: null, until: null });
    await store.db.deleteFrom('runs').where('id', '=', runGone.runId).execute();
    const n = notifier();
    expect(await n.resume()).toBe(2);
    await n.settled();
    expect(receiver.hits).toEqual([]);
    expect(await getDeliveryRow('d-rule-gone')).toMatchObject({
      status: 'failed', attempts: 1, detail: `not sent: the notification rule ${ruleGone.ruleId} was deleted before the notification was delivered`,
    });
    expect(await getDeliveryRow('d-run-gone')).toMatchObject({ status: 'failed', attempts: 1, detail: `not sent: run ${runGone.runId} no longer exists (its application was deleted?)` });
    expect(await listNotificationRuleRows(store, runGone.row.application_id)).toMatchObject([{ last_run_id: runGone.runId, last_status: 'failed' }]);
  });

  it('a claimed delivery due later is held through its due time and attempt, and let go again by a stop before then', async () => {
    await leftDelivery('d-later', { id: null, until: null });
    const due = new Date(Date.now() + 60_000).toISOString();
    await store.db.updateTable('notification_deliveries').set({ next_attempt_at: due }).where('id', '=', 'd-later').execute();
    const n = notifier();
    expect(await n.resume()).toBe(1);
    const held = (await getDeliveryRow('d-later'))!;
    expect(held.lease_id).not.toBeNull();
    expect(Date.parse(held.lease_until!)).toBeGreaterThanOrEqual(Date.parse(due) + 2_000);
    expect(await notifier().resume()).toBe(0);
    await n.stop();
    expect(await getDeliveryRow('d-later')).toMatchObject({ status: 'sending', attempts: 1, next_attempt_at: due, lease_id: null });
    expect(receiver.hits).toEqual([]);
  });

  it('a server stopping while an attempt is in flight lets the delivery go without counting the attempt; the next process sends it again', async () => {
    const { ruleId } = await leftDelivery('d-cut-short', { id: null, until: null });
    await store.db.updateTable('notification_rules').set({ target: `${new URL(receiver.url).origin}/hang` }).where('id', '=', ruleId).execute();
    const first = notifier();
    expect(await first.resume()).toBe(1);
    await waitUntil(() => receiver.hits.length === 1);
    await first.stop();
    expect(await getDeliveryRow('d-cut-short')).toMatchObject({ status: 'sending', attempts: 1, lease_id: null, lease_until: null });

    await store.db.updateTable('notification_rules').set({ target: receiver.url }).where('id', '=', ruleId).execute();
    const next = notifier();
    expect(await next.resume()).toBe(1);
    await next.settled();
    expect(receiver.hits.map((h) => h.delivery)).toEqual(['d-cut-short', 'd-cut-short']);
    expect(await getDeliveryRow('d-cut-short')).toMatchObject({ status: 'delivered', attempts: 2 });
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}
