import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './db.ts';
import { listClaims } from '../../test/helpers/claims.ts';
import { claimNextRun, expiredRuns, extendLease } from './queue.ts';
import { appendEvents, createRun, getRunRow, listEventRows } from './runs.ts';

// The queue on SQLite (in memory): the same code paths the server uses without PostgreSQL.
let store: Store;
let appId: number;
beforeEach(async () => {
  store = await openStore(':memory:');
  appId = (await store.db.insertInto('applications').values({ name: 'a', repository: '/r', default_branch: 'main', workflow: null, webhook_secret: 's', created_at: new Date().toISOString() }).returning('id').executeTakeFirstOrThrow()).id;
});
afterEach(() => store.close());

const queue = () => createRun(store, { application_id: appId, pipeline: 'build', kind: 'build', branch: 'main', commit_sha: 'c'.repeat(40), trigger: 'api', triggered_by: 't' });

describe('run queue (SQLite)', () => {
  it('hands out queued runs oldest first, each once, counting attempts and recording claims', async () => {
    const [a, b] = [await queue(), await queue()];
    const first = await claimNextRun(store, 'r1', 60_000);
    const second = await claimNextRun(store, 'r2', 60_000);
    expect([first?.id, second?.id]).toEqual([a.id, b.id]);
    expect(first).toMatchObject({ status: 'running', runner: 'r1', attempt: 1 });
    expect(await claimNextRun(store, 'r3', 60_000)).toBeUndefined();
    expect((await listClaims(store)).map((c) => [c.run_id, c.runner, c.attempt])).toEqual([[a.id, 'r1', 1], [b.id, 'r2', 1]]);
  });

  it('extends a lease only for the claim (lease id and token) that holds it; an expired lease shows up for the reaper', async () => {
    const run = await queue();
    const claimed = (await claimNextRun(store, 'r1', -1000, 7))!;
    expect(claimed.lease_id).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect((await expiredRuns(store)).map((r) => r.id)).toEqual([run.id]);
    expect(await extendLease(store, run.id, 'not-the-lease', 7, 60_000)).toBeUndefined();
    expect(await extendLease(store, run.id, claimed.lease_id!, 8, 60_000)).toBeUndefined();
    expect(await extendLease(store, run.id, claimed.lease_id!, null, 60_000)).toBeUndefined();
    expect(await extendLease(store, run.id, claimed.lease_id!, 7, 60_000)).toEqual({ cancelRequested: false });
    expect(await expiredRuns(store)).toEqual([]);
  });

  it('numbers appended events after the last one, and refuses them when the guard fails', async () => {
    const run = await queue();
    const ev = (text: string) => ({ type: 'log', body: JSON.stringify({ type: 'log', level: 'info', text }), at: new Date().toISOString() });
    await appendEvents(store, run.id, [ev('a'), ev('b')], () => true);
    await appendEvents(store, run.id, [ev('c')], () => true);
    expect(await appendEvents(store, run.id, [ev('d')], (r) => r.status === 'running')).toBeUndefined();
    expect((await listEventRows(store, run.id, 1, 10)).map((e) => e.seq)).toEqual([2, 3]);
    expect((await getRunRow(store, run.id))!.last_seq).toBe(3);
  });
});
