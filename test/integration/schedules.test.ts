import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run, Schedule } from '../../src/server/context.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { apiClient } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Schedules on a real `werker server` (SQLite, embedded runner, the real engine on Docker): the
// server's clock is the test's, so "due now" needs no waiting for a real minute.
const docker = await requireDocker();
const APP = `sched-${randomBytes(3).toString('hex')}`;
const YML = `box: ${BUSYBOX}
build:
  steps:
    - script:
        name: report
        code: echo "scheduled build of $WERCKER_GIT_BRANCH at $WERCKER_GIT_COMMIT"
ship:
  steps:
    - script:
        name: ship
        code: echo shipped
workflows:
  - name: nightly-release
    pipelines:
      - name: build
      - name: ship
        requires: [build]
`;

describe.skipIf(!docker)('schedules on werker server with the embedded runner', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-sched-it');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-sched-it-'));
  let clock = new Date('2026-12-02T10:30:00.000Z');
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, runners: 1, runtime: docker!, leaseMs: 15_000, log: () => undefined, allowLocalRepos: [tmpdir()], now: () => clock });
    const user = await server.core.auth.createUser('tester', 'long enough password');
    api = apiClient(server.url, (await server.core.auth.createToken('user', 'it', user)).token);
    await api.post('/api/applications', { name: APP, repository: repo.dir });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  const finished = (id: number) => waitFor(`run ${id} to finish`, async () => {
    const { run } = await api.get<{ run: Run }>(`/api/runs/${id}`);
    return ['passed', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
  }, 180_000);

  it('queues a due schedule\'s run once, at the branch head, and the runner passes it; a workflow schedule runs the whole workflow', async () => {
    const { schedule: build } = await api.post<{ schedule: Schedule }>(`/api/applications/${APP}/schedules`, { name: 'nightly', expression: '0 2 * * *', timeZone: 'Europe/Berlin', pipeline: 'build' });
    const { schedule: release } = await api.post<{ schedule: Schedule }>(`/api/applications/${APP}/schedules`, { name: 'release', expression: '0 2 * * *', timeZone: 'Europe/Berlin', pipeline: 'workflow:nightly-release' });
    expect(build.nextRunAt).toBe('2026-12-03T01:00:00.000Z');
    const head = repo.commit({ 'CHANGELOG': 'after the schedule was made' });

    // Due now: the server's own timer (every 10 s) and this tick race for it; one run each.
    clock = new Date('2026-12-03T01:00:02.000Z');
    await server.core.tickSchedules();
    const runs = await waitFor('both scheduled runs', async () => {
      const page = await api.get<{ runs: Run[] }>(`/api/applications/${APP}/runs`);
      const scheduled = page.runs.filter((r) => r.trigger === 'schedule' && (r.workflowRunId === null || r.id === r.workflowRunId));
      return scheduled.length >= 2 ? scheduled : undefined;
    });
    const buildRun = runs.find((r) => r.triggeredBy === 'schedule nightly')!;
    expect(await finished(buildRun.id)).toMatchObject({ status: 'passed', pipeline: 'build', branch: 'main', commit: head, trigger: 'schedule' });

    // The workflow's second pipeline follows its first, as for any workflow run.
    const releaseRoot = runs.find((r) => r.triggeredBy === 'schedule release')!;
    expect(await finished(releaseRoot.id)).toMatchObject({ status: 'passed', workflow: 'nightly-release' });
    const ship = await waitFor('the workflow\'s ship run', async () => (await api.get<{ runs: Run[] }>(`/api/applications/${APP}/runs`)).runs.find((r) => r.pipeline === 'ship'));
    expect(await finished(ship.id)).toMatchObject({ status: 'passed', workflowRunId: releaseRoot.id, triggeredBy: 'schedule release' });

    const all = (await api.get<{ runs: Run[] }>(`/api/applications/${APP}/runs`)).runs;
    expect(all.map((r) => `${r.pipeline} by ${r.triggeredBy}`).sort()).toEqual(['build by schedule nightly', 'build by schedule release', 'ship by schedule release']);
    const { schedules } = await api.get<{ schedules: Schedule[] }>(`/api/applications/${APP}/schedules`);
    expect(schedules.find((s) => s.id === build.id)).toMatchObject({ lastRun: { id: buildRun.id, status: 'passed' }, nextRunAt: '2026-12-04T01:00:00.000Z' });
    expect(schedules.find((s) => s.id === release.id)).toMatchObject({ lastRun: { id: releaseRoot.id, status: 'passed' } });
  });
});
