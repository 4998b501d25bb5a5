import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeBackends } from '../../test/helpers/server.ts';
import { tempGitRepo } from '../../test/helpers/git-repo.ts';
import { WerkerError } from '../errors.ts';
import { createRun, type RunRow } from '../store/runs.ts';
import { createApp } from './app.ts';
import { InputError, type User } from './context.ts';
import { httpBackend } from '../runner/http-backend.ts';
import { createServerCore, type Core } from './service.ts';

// The retention sweep through the core, on SQLite (always) and PostgreSQL (when the test one
// exists; with WERKER_REQUIRE_DOCKER=1 it must). The clock is the core's own fake; runs get their
// finish times written into the store, their outputs are real files in the data dir.
const NOW = new Date('2031-06-15T12:00:00.000Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const repo = tempGitRepo({ 'wercker.yml': 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        code: echo hi\ndeploy:\n  steps:\n    - script:\n        code: echo ship\n' }, 'werker-retention');
afterAll(() => repo.remove());

const stores = storeBackends();

describe.each(stores)('output retention on %s', (_name, open) => {
  let dataDir: string;
  let core: Core;
  let drop: () => Promise<void>;
  let user: User;
  let appId: number;

  const setup = async (keepOutputsDays?: number) => {
    const opened = await open!();
    drop = opened.drop;
    core = createServerCore(opened.store, { dataDir, leaseMs: 60_000, now: () => NOW, allowLocalRepos: [tmpdir()], ...(keepOutputsDays === undefined ? {} : { keepOutputsDays }) });
    user = await core.auth.createUser('ada', 'correct horse battery');
    appId = (await core.createApplication({ name: 'shop', repository: repo.dir }, user)).id;
  };
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'werker-retention-'));
  });
  afterEach(async () => {
    await core.store.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A finished run `daysAgo` days before NOW with an output file, as a runner would have left it. */
  const finished = async (o: { branch?: string; pipeline?: string; status?: RunRow['status']; daysAgo: number; output?: boolean; appId?: number }): Promise<RunRow> => {
    const row = await createRun(core.store, {
      application_id: o.appId ?? appId, pipeline: o.pipeline ?? 'build', kind: 'build', branch: o.branch ?? 'main', commit_sha: repo.head(), trigger: 'api', triggered_by: 'ada',
    });
    const file = path.join(dataDir, 'outputs', `${row.id}.tar`);
    if (o.output !== false) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `output of run ${row.id}`);
    }
    const at = new Date(NOW.getTime() - o.daysAgo * DAY_MS).toISOString();
    return core.store.db.updateTable('runs').set({ status: o.status ?? 'passed', started_at: at, finished_at: at, duration_ms: 1000, output_path: o.output === false ? null : file })
      .where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
  };
  const hasOutput = (row: RunRow) => existsSync(row.output_path!);

  it.skipIf(!open)('deletes old outputs, keeps the newest passed one per application, pipeline and branch, and keeps every run', async () => {
    await setup(30);
    const oldMain = await finished({ daysAgo: 90 });
    const newestMain = await finished({ daysAgo: 60 });
    const failedAfter = await finished({ daysAgo: 45, status: 'failed' });
    const oldTopic = await finished({ branch: 'topic', daysAgo: 80 });
    const newestTopic = await finished({ branch: 'topic', daysAgo: 70 });
    const otherPipeline = await finished({ pipeline: 'package', daysAgo: 70 });
    const recent = await finished({ daysAgo: 10 });
    const recentFailed = await finished({ daysAgo: 5, status: 'cancelled' });
    // The newest passed of main is now `recent`: newestMain is old and no longer the newest.
    const removed = await core.sweepOutputs();
    expect(removed.sort((a, b) => a - b)).toEqual([oldMain.id, newestMain.id, failedAfter.id, oldTopic.id]);
    for (const gone of [oldMain, newestMain, failedAfter, oldTopic]) expect(hasOutput(gone)).toBe(false);
    for (const kept of [newestTopic, otherPipeline, recent, recentFailed]) expect(hasOutput(kept)).toBe(true);

    // The run stays, and says its output is gone; the API says so too.
    const run = (await core.getRun(oldMain.id))!;
    expect(run.status).toBe('passed');
    expect(run.outputRemovedAt).toBe(NOW.toISOString());
    expect((await core.getRun(newestTopic.id))!.outputRemovedAt).toBeNull();
    const token = (await core.auth.createToken('user', 'tests', user)).token;
    const res = await createApp(core, { ui: false }).request(`/api/runs/${oldMain.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await res.json()) as { run: { outputRemovedAt: string } }).run.outputRemovedAt).toBe(NOW.toISOString());

    // A second sweep has nothing left to do.
    expect(await core.sweepOutputs()).toEqual([]);
  });

  it.skipIf(!open)('defaults to 30 days, and 0 keeps every output', async () => {
    await setup();
    const day31 = await finished({ daysAgo: 31, status: 'failed' });
    const day29 = await finished({ daysAgo: 29, status: 'failed' });
    expect(await core.sweepOutputs()).toEqual([day31.id]);
    expect(hasOutput(day29)).toBe(true);
    await core.store.close();
    await drop();

    await setup(0);
    const ancient = await finished({ daysAgo: 3650, status: 'failed' });
    const older = await finished({ daysAgo: 4000 });
    await finished({ daysAgo: 1 });
    expect(await core.sweepOutputs()).toEqual([]);
    expect(hasOutput(ancient) && hasOutput(older)).toBe(true);
  });

  it.skipIf(!open)('a deploy from a removed output fails saying retention removed it, on the API, the embedded and the HTTP runner side', async () => {
    await setup(30);
    const old = await finished({ daysAgo: 60 });
    const latest = await finished({ daysAgo: 40 });
    // A finished deploy of the old build, to retry later.
    const deploy = await createRun(core.store, { application_id: appId, pipeline: 'deploy', kind: 'deploy', branch: 'main', commit_sha: old.commit_sha, trigger: 'api', triggered_by: 'ada', source_run_id: old.id });
    await core.store.db.updateTable('runs').set({ status: 'passed', finished_at: NOW.toISOString() }).where('id', '=', deploy.id).execute();
    expect(await core.sweepOutputs()).toEqual([old.id]);

    // Retrying it is refused at once, with what to do.
    const refused = await core.retryRun(deploy.id, user).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as InputError).message).toBe(`the output of run ${old.id} was removed by retention on 2031-06-15 (werker server --keep-outputs); run the build again, then deploy its output`);

    // A deploy queued before the sweep (here: written straight into the queue) fails on the runner with the same words.
    await createRun(core.store, { application_id: appId, pipeline: 'deploy', kind: 'deploy', branch: 'main', commit_sha: old.commit_sha, trigger: 'api', triggered_by: 'ada', source_run_id: old.id });
    const job = (await core.runners.claim('r1'))!;
    expect(job.sourceRunId).toBe(old.id);
    const embedded = await core.runners.sourceOutput(job.runId, job.lease).catch((e: unknown) => e);
    expect(embedded).toBeInstanceOf(WerkerError);
    expect((embedded as WerkerError).message).toBe(`the output of run ${old.id} was removed by retention on 2031-06-15 (werker server --keep-outputs)`);
    expect((embedded as WerkerError).hint).toBe('run the build again, then deploy its output');
    await core.runners.finish(job.runId, job.lease, { status: 'failed', durationMs: 1, message: (embedded as Error).message });
    // A remote runner that claims such a deploy gets the same words over HTTP (410).
    await createRun(core.store, { application_id: appId, pipeline: 'deploy', kind: 'deploy', branch: 'main', commit_sha: old.commit_sha, trigger: 'api', triggered_by: 'ada', source_run_id: old.id });
    const app = createApp(core, { ui: false });
    const runnerToken = (await core.auth.createToken('runner', 'r1')).token;
    const remote = httpBackend('http://werker.test', runnerToken, (input, init) => Promise.resolve(app.request(String(input).replace('http://werker.test', ''), init)));
    const remoteJob = (await remote.claim('r2'))!;
    const viaHttp = await remote.sourceOutput(remoteJob.runId, remoteJob.lease).catch((e: unknown) => e);
    expect(viaHttp).toBeInstanceOf(WerkerError);
    expect((viaHttp as WerkerError).message).toBe((embedded as WerkerError).message);
    expect((viaHttp as WerkerError).hint).toBe('run the build again, then deploy its output');
    await remote.finish(remoteJob.runId, remoteJob.lease, { status: 'failed', durationMs: 1 });

    // A new deploy of the branch starts from the output retention kept, and gets it.
    const next = await core.triggerRun(appId, 'deploy', { branch: 'main' }, user);
    expect(next.sourceRunId).toBe(latest.id);
    const nextJob = (await core.runners.claim('r1'))!;
    const tar = (await core.runners.sourceOutput(nextJob.runId, nextJob.lease))!;
    expect(await new Response(tar).text()).toBe(readFileSync(latest.output_path!, 'utf8'));
  });

  it.skipIf(!open)('the server\'s sweep runs when it starts (and hourly); stopping waits for a sweep in progress', async () => {
    await setup(30);
    const old = await finished({ daysAgo: 60, status: 'failed' });
    const stop = core.startOutputSweep();
    await stop();
    expect(hasOutput(old)).toBe(false);
    expect((await core.getRun(old.id))!.outputRemovedAt).toBe(NOW.toISOString());
  });

  it.skipIf(!open)('keeps the output a queued or running deploy is about to use', async () => {
    await setup(30);
    const old = await finished({ daysAgo: 60 });
    await finished({ daysAgo: 50 });
    await createRun(core.store, { application_id: appId, pipeline: 'deploy', kind: 'deploy', branch: 'main', commit_sha: old.commit_sha, trigger: 'api', triggered_by: 'ada', source_run_id: old.id });
    expect(await core.sweepOutputs()).toEqual([]);
    expect(hasOutput(old)).toBe(true);
  });

  it.skipIf(!open)('keeps every output a queued workflow step that requires several pipelines will read', async () => {
    await setup(30);
    const api = await finished({ pipeline: 'api', daysAgo: 60 });
    await finished({ pipeline: 'api', daysAgo: 50 });
    const web = await finished({ pipeline: 'web', daysAgo: 60 });
    await finished({ pipeline: 'web', daysAgo: 50 });
    const inputs = { source: { layout: 'merged', from: ['api', 'web'] }, inputs: [{ name: 'api', runId: api.id }, { name: 'web', runId: web.id }] };
    const step = await createRun(core.store, {
      application_id: appId, pipeline: 'deploy', kind: 'deploy', branch: 'main', commit_sha: api.commit_sha, trigger: 'workflow', triggered_by: 'ada',
      workflow: 'ship', workflow_step: 'deploy', workflow_inputs: JSON.stringify(inputs),
    });
    expect(await core.sweepOutputs()).toEqual([]);
    expect(hasOutput(api) && hasOutput(web)).toBe(true);
    // Once the step has finished, the inputs are old outputs like any other.
    await core.store.db.updateTable('runs').set({ status: 'passed', finished_at: NOW.toISOString() }).where('id', '=', step.id).execute();
    expect((await core.sweepOutputs()).sort((a, b) => a - b)).toEqual([api.id, web.id]);
  });
});
