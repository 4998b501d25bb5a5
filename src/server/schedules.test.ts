import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempGitRepo } from '../../test/helpers/git-repo.ts';
import { scratchDatabase, testDatabaseUrl } from '../../test/helpers/server.ts';
import { openStore, type Store } from '../store/db.ts';
import { claimOccurrence, getScheduleRow } from '../store/schedules.ts';
import { createApp } from './app.ts';
import type { User } from './context.ts';
import { createServerCore, type Core } from './service.ts';

// Schedules through the core, on SQLite (always) and PostgreSQL (when the test one exists; with
// WERKER_REQUIRE_DOCKER=1 it must): the clock is the core's own, moved by the tests; the
// repository is a real git repository the server mirrors.
const YML = 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        code: echo hi\nship:\n  steps:\n    - script:\n        code: echo ship\n'
  + 'workflows:\n  - name: release\n    pipelines:\n      - name: build\n      - name: ship\n        requires: [build]\n';
const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-schedules');
afterAll(() => repo.remove());

const pgUrl = testDatabaseUrl();
type Opened = { url: string; stores: Store[]; drop(): Promise<void> };
const backends: [string, (() => Promise<Opened>) | undefined][] = [
  ['SQLite', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'werker-schedules-db-'));
    return { url: path.join(dir, 'werker.db'), stores: [], drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }],
  ['PostgreSQL', pgUrl ? async () => {
    const scratch = await scratchDatabase(pgUrl);
    return { url: scratch.url, stores: [], drop: () => scratch.drop() };
  } : undefined],
];

describe.each(backends)('schedules on %s', (backend, open) => {
  let db: Opened;
  let clock: Date;
  let core: Core;
  let admin: User;
  let appId: number;
  const dataDirs: string[] = [];

  /** A server core (as one server process has) on the test's database, reading the test's clock. */
  const newCore = async (): Promise<Core> => {
    const store = await openStore(db.url, { poolSize: 3 });
    db.stores.push(store);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-schedules-data-'));
    dataDirs.push(dataDir);
    return createServerCore(store, { dataDir, leaseMs: 60_000, now: () => clock, allowLocalRepos: [tmpdir()] });
  };
  beforeEach(async () => {
    if (!open) return;
    db = await open();
    clock = new Date('2026-12-02T10:30:00.000Z');
    core = await newCore();
    admin = await core.auth.createUser('ada', 'correct horse battery');
    appId = (await core.createApplication({ name: 'shop', repository: repo.dir }, admin)).id;
  });
  afterEach(async () => {
    if (!open) return;
    for (const store of db.stores) await store.close();
    await db.drop();
    for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const scheduledRuns = async (c: Core = core) => (await c.listRuns({ appId })).runs.filter((r) => r.trigger === 'schedule');

  it.skipIf(!open)('queues one run per occurrence, at the branch\'s newest commit, said to be by the schedule', async () => {
    const schedule = await core.schedules.create(appId, { name: 'nightly', expression: '0 2 * * *', timeZone: 'Europe/Berlin', pipeline: 'build' }, admin);
    // 02:00 in Berlin is 01:00 UTC in December.
    expect(schedule).toMatchObject({ branch: 'main', timeZone: 'Europe/Berlin', enabled: true, nextRunAt: '2026-12-03T01:00:00.000Z', lastRun: null });
    expect(await core.tickSchedules()).toEqual([]);

    const head = repo.commit({ README: `a newer commit, tested on ${backend}` });
    clock = new Date('2026-12-03T01:00:04.000Z');
    const [runId] = await core.tickSchedules();
    expect(await core.tickSchedules(), 'a second tick in the same minute').toEqual([]);
    const run = (await core.getRun(runId!))!;
    expect(run).toMatchObject({ pipeline: 'build', branch: 'main', commit: head, status: 'queued', trigger: 'schedule', triggeredBy: 'schedule nightly' });
    expect(await core.schedules.get(appId, schedule.id)).toMatchObject({
      nextRunAt: '2026-12-04T01:00:00.000Z', lastOccurrenceAt: '2026-12-03T01:00:00.000Z', lastRun: { id: runId, status: 'queued' }, lastError: null,
    });
  });

  it.skipIf(!open)('runs an occurrence missed while no server was up once, at the next start, not once per missed occurrence', async () => {
    await core.schedules.create(appId, { name: 'hourly', expression: '@hourly', pipeline: 'build' }, admin);
    // Every server process stops; five hours later one starts (its timer ticks at once).
    clock = new Date('2026-12-02T15:40:00.000Z');
    const restarted = await newCore();
    const stop = restarted.startScheduler(60_000);
    await stop();
    expect(await scheduledRuns(restarted)).toHaveLength(1);
    expect(await restarted.tickSchedules()).toEqual([]);
    expect((await restarted.schedules.list(appId))[0]).toMatchObject({ lastOccurrenceAt: '2026-12-02T11:00:00.000Z', nextRunAt: '2026-12-02T16:00:00.000Z' });
  });

  it.skipIf(!open)('queues exactly one run when several server processes tick the same due schedules at once', async () => {
    // Several processes share PostgreSQL; SQLite has one server process, whose ticks may still overlap.
    const others = backend === 'PostgreSQL' ? [await newCore(), await newCore()] : [];
    for (const name of ['a', 'b', 'c']) await core.schedules.create(appId, { name, expression: '* * * * *', pipeline: 'build' }, admin);
    for (const minute of [31, 32, 33]) {
      clock = new Date(`2026-12-02T10:${minute}:00.500Z`);
      const ticks = await Promise.all([core, ...others, core].map((c) => c.tickSchedules()));
      expect(ticks.flat(), `minute ${minute}`).toHaveLength(3);
    }
    const runs = await scheduledRuns();
    expect(runs).toHaveLength(9);
    expect(new Set(runs.map((r) => r.triggeredBy))).toEqual(new Set(['schedule a', 'schedule b', 'schedule c']));
  });

  it.skipIf(!open)('claims an occurrence only while the schedule still says it: a changed, claimed or disabled one queues nothing', async () => {
    const s = await core.schedules.create(appId, { name: 'n', expression: '*/5 * * * *', pipeline: 'build' }, admin);
    const run = { row: { application_id: appId, pipeline: 'build', kind: 'build' as const, branch: 'main', commit_sha: repo.head(), trigger: 'schedule', triggered_by: 'schedule n' }, opensWorkflow: false };
    const due = s.nextRunAt!;
    expect(await claimOccurrence(core.store, { scheduleId: s.id, due: '2026-12-02T10:30:00.000Z', next: due, run }), 'a stale occurrence').toBeUndefined();
    const claimed = await claimOccurrence(core.store, { scheduleId: s.id, due, next: '2026-12-02T10:40:00.000Z', run });
    expect(claimed?.run?.id).toBeGreaterThan(0);
    expect(await claimOccurrence(core.store, { scheduleId: s.id, due, next: '2026-12-02T10:40:00.000Z', run }), 'claimed twice').toBeUndefined();
    await core.schedules.update(appId, s.id, { enabled: false }, admin);
    expect((await getScheduleRow(core.store, appId, s.id))?.next_run_at).toBeNull();
    clock = new Date('2026-12-02T11:00:00.000Z');
    expect(await core.tickSchedules()).toEqual([]);
    expect(await scheduledRuns()).toHaveLength(1);
    // Enabled again, it counts from now: nothing from the hour it was off.
    expect((await core.schedules.update(appId, s.id, { enabled: true }, admin)).nextRunAt).toBe('2026-12-02T11:05:00.000Z');
  });

  it.skipIf(!open)('starts a workflow; an occurrence it can\'t plan (the branch is gone) is tried for 5 minutes, then given up saying why', async () => {
    await core.schedules.create(appId, { name: 'release', expression: '0 11 * * *', pipeline: 'workflow:release' }, admin);
    const gone = await core.schedules.create(appId, { name: 'topic', expression: '0 11 * * *', pipeline: 'build', branch: 'no-such-branch' }, admin);
    clock = new Date('2026-12-02T11:00:30.000Z');
    const [runId] = await core.tickSchedules();
    expect(await core.getRun(runId!)).toMatchObject({ pipeline: 'build', workflow: 'release', workflowRunId: runId, triggeredBy: 'schedule release' });
    expect(await core.schedules.get(appId, gone.id), 'still being tried').toMatchObject({ lastError: null, nextRunAt: '2026-12-02T11:00:00.000Z' });
    clock = new Date('2026-12-02T11:05:01.000Z');
    expect(await core.tickSchedules()).toEqual([]);
    expect(await core.schedules.get(appId, gone.id)).toMatchObject({ lastRun: null, lastError: `no branch no-such-branch in ${repo.dir}`, nextRunAt: '2026-12-03T11:00:00.000Z' });
    expect(await core.tickSchedules()).toEqual([]);
    // Deleting the application deletes its schedules.
    await core.deleteApplication(appId, admin);
    expect(await core.store.db.selectFrom('schedules').selectAll().execute()).toEqual([]);
  });

  it.skipIf(!open)(`answers a bad expression with its position (400), an unknown zone (400), and keeps the limits (${backend})`, async () => {
    const token = (await core.auth.createToken('user', 'tests', admin)).token;
    const api = createApp(core, { ui: false });
    const post = (body: Record<string, unknown>) => api.request('/api/applications/shop/schedules', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await post({ name: 'n', expression: '0 9 * * MON-FRX', pipeline: 'build' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'invalid cron expression "0 9 * * MON-FRX" at character 13, field 5 (day of week): "FRX" is not a number or a name (SUN-SAT)',
      expression: '0 9 * * MON-FRX', position: { column: 13, field: 5, fieldName: 'day of week' },
    });
    const zone = await post({ name: 'n', expression: '@daily', pipeline: 'build', timeZone: 'Europe/Atlantis' });
    expect(zone.status).toBe(400);
    expect(((await zone.json()) as { error: string }).error).toContain('unknown time zone "Europe/Atlantis"');
    const made = await post({ name: 'n', expression: '@daily', pipeline: 'build', timeZone: 'america/new_york' });
    expect(made.status).toBe(201);
    expect(((await made.json()) as { schedule: { timeZone: string; nextRunAt: string } }).schedule).toMatchObject({ timeZone: 'America/New_York', nextRunAt: '2026-12-03T05:00:00.000Z' });
    expect((await post({ name: 'n', expression: '@daily', pipeline: 'build' })).status, 'the name is taken').toBe(409);
    expect(await (await api.request('/api/applications/shop/schedules', { headers: { authorization: `Bearer ${token}` } })).json()).toMatchObject({ schedules: [{ name: 'n' }] });
    for (let i = 1; i < 20; i++) await core.schedules.create(appId, { name: `s${i}`, expression: '@daily', pipeline: 'build' }, admin);
    const over = await post({ name: 'one-too-many', expression: '@daily', pipeline: 'build' });
    expect(over.status).toBe(409);
    expect(await over.text()).toContain('the application has 20 schedules, the most it may have');
  });
});
