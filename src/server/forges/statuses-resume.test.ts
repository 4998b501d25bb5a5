import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubStatusApi, type GitHubStatusApi } from '../../../test/helpers/forge-github.ts';
import { tempGitRepo } from '../../../test/helpers/git-repo.ts';
import { storeBackends } from '../../../test/helpers/server.ts';
import { isoNow, type Store } from '../../store/db.ts';
import { createRun, getRunRow, type RunRow } from '../../store/runs.ts';
import type { User } from '../context.ts';
import { createServerCore, type Core } from '../service.ts';

// Commit statuses a server process still owed when it stopped or died, posted by the next one:
// on SQLite and PostgreSQL (several processes on one store), to the loopback GitHub status API
// (every request checked against GitHub's OpenAPI description).
const TOKEN = 'ghp_resume-test-forge-token';
const repo = tempGitRepo({ 'wercker.yml': 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        code: echo hi\n' }, 'werker-status-resume');
let github: GitHubStatusApi;
beforeAll(async () => {
  github = await startGitHubStatusApi({ token: TOKEN, repos: ['acme/shop'] });
  // The first request loads GitHub's OpenAPI description (seconds on a busy machine): done here, not in a status's time limit.
  await fetch(`${github.apiUrl}/`);
});
afterAll(async () => {
  await github.close();
  repo.remove();
});

const backends = storeBackends().filter(([, open]) => open !== undefined);

describe.each(backends)('commit statuses left owed, on %s', (_name, open) => {
  let store: Store;
  let drop: () => Promise<void>;
  let dataDir: string;
  const cores: Core[] = [];
  let admin: User;
  let appId: number;
  const core = () => {
    const c = createServerCore(store, { dataDir, leaseMs: 60_000, allowLocalRepos: [tmpdir()], baseUrl: 'https://ci.example.test', statusRetry: { attempts: 3, firstDelayMs: 10, maxDelayMs: 20, timeoutMs: 2_000 } });
    cores.push(c);
    return c;
  };

  beforeEach(async () => {
    ({ store, drop } = await open!());
    dataDir = mkdtempSync(path.join(tmpdir(), 'werker-status-resume-'));
    const first = core();
    admin = await first.auth.createUser('ada', 'correct horse battery');
    appId = (await first.createApplication({ name: 'shop', repository: repo.dir }, admin)).id;
    await first.setForgeSettings(appId, { kind: 'github', apiUrl: github.apiUrl, repository: 'acme/shop', token: TOKEN }, admin);
    github.statuses.length = 0;
    github.problems.length = 0;
  });
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.statusReporter.stop();
    await store.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A run from a GitHub webhook, now `status`, that owes the forge the status of `owed`, held as `lease` says. */
  async function owingRun(status: RunRow['status'], owed: string | null, lease: { id: string | null; until: string | null }): Promise<RunRow> {
    const run = await createRun(store, { application_id: appId, pipeline: 'build', kind: 'build', branch: 'main', commit_sha: repo.head(), trigger: 'push', triggered_by: 'ada', forge: 'github' });
    await store.db.updateTable('runs').set({ status, duration_ms: 4000, forge_status_owed: owed, forge_status_lease: lease.id, forge_status_until: lease.until }).where('id', '=', run.id).execute();
    return run;
  }

  it('a status a dead process owed is posted by exactly one of two processes, as the run\'s state now, and the run owes nothing after', async () => {
    const run = await owingRun('passed', 'running', { id: 'dead', until: isoNow(-1000) });
    const [a, b] = [cores[0]!, core()];
    const taken = await Promise.all([a.statusReporter.resume(), b.statusReporter.resume()]);
    expect(taken.sort()).toEqual([0, 1]);
    await Promise.all([a.statusReporter.settled(), b.statusReporter.settled()]);
    expect(github.problems).toEqual([]);
    expect(github.statuses.map((s) => [s.sha, s.body])).toEqual([
      [repo.head(), { state: 'success', description: 'passed in 4 s', context: 'werker/build', target_url: `https://ci.example.test/runs/${run.id}` }],
    ]);
    expect(await getRunRow(store, run.id)).toMatchObject({ forge_status_owed: null, forge_status_lease: null, forge_status_error: null });
  });

  it('leaves a status another live process holds, and settles one a newer run of the same commit and pipeline has replaced', async () => {
    const held = await owingRun('running', 'running', { id: 'alive', until: isoNow(60_000) });
    const replaced = await owingRun('failed', 'failed', { id: null, until: null });
    await createRun(store, { application_id: appId, pipeline: 'build', kind: 'build', branch: 'main', commit_sha: repo.head(), trigger: 'push', triggered_by: 'ada', forge: 'github' });
    expect(await cores[0]!.statusReporter.resume()).toBe(0);
    expect(github.statuses).toEqual([]);
    expect(await getRunRow(store, held.id)).toMatchObject({ forge_status_owed: 'running', forge_status_lease: 'alive' });
    expect(await getRunRow(store, replaced.id)).toMatchObject({ forge_status_owed: null });
  });

  it('a status change marks the run as owing under this process\'s lease until the forge has it', async () => {
    const reporter = cores[0]!;
    const run = await owingRun('queued', null, { id: null, until: null });
    github.hangNext(1); // the first request gets no answer: the attempt times out (2 s), the next one gets through
    reporter.runChanges.emit({ ...(await getRunRow(store, run.id))!, status: 'running' }, 'queued');
    await new Promise((r) => setTimeout(r, 300));
    expect(await getRunRow(store, run.id)).toMatchObject({ forge_status_owed: 'running' });
    expect((await getRunRow(store, run.id))!.forge_status_lease).not.toBeNull();
    await reporter.runChanges.settled();
    expect(github.statuses.map((s) => [s.body.state, s.body.description])).toEqual([['pending', 'running']]);
    expect(await getRunRow(store, run.id)).toMatchObject({ forge_status_owed: null, forge_status_lease: null });
  });
});
