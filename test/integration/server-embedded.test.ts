import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run, RunDetail } from '../../src/server/context.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { createRun } from '../../src/store/runs.ts';
import { spawnCli } from '../helpers/cli.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { apiClient, leftoversOf } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait-for.ts';

// werker server with its embedded runner, SQLite, the real engine and a real local git repo.
const docker = await requireDocker();
const SECRET = `s3cr3t-${randomBytes(6).toString('hex')}`;
const APP = `srv-emb-${randomBytes(3).toString('hex')}`;
const YML = `box: ${BUSYBOX}
build:
  steps:
    - script:
        name: greet
        code: |
          echo "the token is $API_TOKEN"
          echo "key: $DEPLOY_PUBLIC" | cut -c1-24
          echo "built from $WERCKER_GIT_COMMIT" > "$WERCKER_OUTPUT_DIR/artifact.txt"
    - script:
        name: count
        code: for i in 1 2 3; do echo "line $i"; done
deploy:
  steps:
    - script:
        name: ship
        code: cat artifact.txt && echo "deploying with $API_TOKEN"
workflows:
  - name: ship-it
    pipelines:
      - name: build
      - name: deploy
        requires: [build]
`;

describe.skipIf(!docker)('werker server with the embedded runner', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-srv-emb');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-srv-emb-'));
  let server: RunningServer;
  let token: string;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, runners: 2, runtime: docker!, leaseMs: 15_000, log: () => undefined, allowLocalRepos: [tmpdir()] });
    const user = await server.core.auth.createUser('tester', 'long enough password');
    token = (await server.core.auth.createToken('user', 'it', user)).token;
    api = apiClient(server.url, token);
    await api.post('/api/applications', { name: APP, repository: repo.dir });
    await api.post(`/api/applications/${APP}/variables`, { name: 'API_TOKEN', value: SECRET, protected: true });
    await api.post(`/api/applications/${APP}/keys`, { name: 'deploy' });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  it('`werker remote build` runs the commit and prints the live log to the end, with the protected value masked', async () => {
    const cli = spawnCli(['remote', 'build', APP, '--server', server.url], { env: { WERKER_TOKEN: token } });
    const r = await cli.done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('the token is ***');
    expect(r.stdout).toContain('line 3');
    expect(r.stdout + r.stderr).not.toContain(SECRET);

    const { runs } = await api.get<{ runs: Run[] }>(`/api/applications/${APP}/runs`);
    const run = runs[0]!;
    expect(run).toMatchObject({ status: 'passed', trigger: 'cli', commit: repo.head(), attempt: 1 });
    // Not the runner's temp dir, which is gone by now.
    expect(r.stdout).toMatch(new RegExp(`Stored artifacts: .* in run ${run.id}'s output on the server`));
    const { run: detail } = await api.get<{ run: RunDetail }>(`/api/runs/${run.id}`);
    expect(detail.steps.filter((s) => s.phase === 'main').map((s) => [s.name, s.status])).toEqual([['wercker-init', 'passed'], ['greet', 'passed'], ['count', 'passed']]);
    expect(detail.steps.every((s) => typeof s.durationMs === 'number')).toBe(true);
    const stored = JSON.stringify(await server.core.listRunEvents(run.id, 0, 100_000));
    expect(stored).toContain('the token is ***');
    expect(stored).toContain('key: ssh-ed25519 AAAA');
    expect(stored).not.toContain(SECRET);
    expect(await leftoversOf(docker!, APP)).toEqual([]);
  });

  it('`werker remote build` that the server refuses says what to check', async () => {
    const unknown = await spawnCli(['remote', 'build', 'no-such-app', '--server', server.url], { env: { WERKER_TOKEN: token } }).done;
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('the server refused: no application no-such-app');
    expect(unknown.stderr).toContain(`hint: is no-such-app registered on the server? See ${server.url}/apps`);
    const badToken = await spawnCli(['remote', 'build', APP, '--server', server.url], { env: { WERKER_TOKEN: 'wku_not-a-token' } }).done;
    expect(badToken.code).toBe(2);
    expect(badToken.stderr).toContain('hint: check the token');
  });

  it('runs a workflow: the deploy starts on the build\'s output after the build passed', async () => {
    const cli = await spawnCli(['remote', 'build', APP, '--workflow', 'ship-it', '--server', server.url], { env: { WERKER_TOKEN: token } }).done;
    expect(cli.code, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toContain('deploying with ***');
    const { runs } = await api.get<{ runs: Run[] }>(`/api/applications/${APP}/runs?limit=2`);
    const [deploy, build] = runs as [Run, Run];
    expect(build).toMatchObject({ pipeline: 'build', kind: 'deploy', workflow: 'ship-it', status: 'passed', workflowRunId: build.id });
    expect(deploy).toMatchObject({ pipeline: 'deploy', kind: 'deploy', workflowRunId: build.id, status: 'passed' });
    expect(deploy.sourceRunId).toBe(build.id);
    const text = JSON.stringify(await server.core.listRunEvents(deploy.id, 0, 100_000));
    expect(text).toContain(`built from ${repo.head()}`);
    expect(text).toContain('deploying with ***');
    expect(text).not.toContain(SECRET);
  });

  it('a deploy from an output that retention removed fails on the runner, saying so and what to do', async () => {
    const { runs } = await api.get<{ runs: Run[] }>(`/api/applications/${APP}/runs?status=passed&limit=100`);
    // The build pipeline's runs: the first `remote build`, and the workflow's root (a deploy that stores its output, §4.11).
    const builds = runs.filter((r) => r.pipeline === 'build');
    expect(builds.length).toBeGreaterThan(1);
    // The first build, 60 days old now: no longer the newest passed one of the branch, so the sweep takes its output.
    const old = builds.at(-1)!;
    await server.core.store.db.updateTable('runs').set({ finished_at: new Date(Date.now() - 60 * 86_400_000).toISOString() }).where('id', '=', old.id).execute();
    expect(await server.core.sweepOutputs()).toEqual([old.id]);
    const { run: swept } = await api.get<{ run: Run }>(`/api/runs/${old.id}`);
    expect(swept.outputRemovedAt).toEqual(expect.any(String));
    // A deploy of it that was queued before the sweep (written into the queue: the API refuses new ones).
    const deploy = await createRun(server.core.store, {
      application_id: old.applicationId, pipeline: 'deploy', kind: 'deploy', branch: old.branch, commit_sha: old.commit, trigger: 'api', triggered_by: 'tester', source_run_id: old.id,
    });
    const done = await waitFor('the deploy to end', async () => {
      const { run: r } = await api.get<{ run: Run }>(`/api/runs/${deploy.id}`);
      return r.status === 'queued' || r.status === 'running' ? undefined : r;
    }, 60_000);
    expect(done.status).toBe('failed');
    expect(done.message).toBe(`the output of run ${old.id} was removed by retention on ${swept.outputRemovedAt!.slice(0, 10)} (werker server --keep-outputs)`);
    expect(JSON.stringify(await server.core.listRunEvents(deploy.id, 0, 10_000))).toContain('hint: run the build again, then deploy its output');
    expect(await leftoversOf(docker!, APP)).toEqual([]);
  });

  it('runs a box through the runner machine\'s image map (WERKER_IMAGE_MAP), as a local run would', async () => {
    const mapped = repo.commit({ 'wercker.yml': YML.replace(`box: ${BUSYBOX}`, 'box: example.invalid/runner-box:1') }, 'mapped box');
    const before = process.env.WERKER_IMAGE_MAP;
    process.env.WERKER_IMAGE_MAP = `example.invalid/runner-box:1=${BUSYBOX}`;
    try {
      const { run } = await api.post<{ run: Run }>(`/api/applications/${APP}/runs`, { pipeline: 'build', commit: mapped });
      const done = await waitFor('the mapped run to end', async () => {
        const { run: r } = await api.get<{ run: Run }>(`/api/runs/${run.id}`);
        return r.status === 'queued' || r.status === 'running' ? undefined : r;
      }, 120_000);
      expect(done.status, JSON.stringify(await server.core.listRunEvents(run.id, 0, 1000))).toBe('passed');
    } finally {
      if (before === undefined) delete process.env.WERKER_IMAGE_MAP;
      else process.env.WERKER_IMAGE_MAP = before;
    }
  });

  it('cancels a running run: the engine stops and its containers are removed', async () => {
    const slow = repo.commit({ 'wercker.yml': YML.replace('for i in 1 2 3; do echo "line $i"; done', 'echo sleeping; sleep 300') }, 'slow');
    const { run } = await api.post<{ run: Run }>(`/api/applications/${APP}/runs`, { pipeline: 'build', commit: slow });
    await waitFor('the step to start sleeping', async () => (JSON.stringify(await server.core.listRunEvents(run.id, 0, 10_000)).includes('sleeping') ? true : undefined));
    await api.post(`/api/runs/${run.id}/cancel`);
    const done = await waitFor('the run to be cancelled', async () => {
      const { run: r } = await api.get<{ run: Run }>(`/api/runs/${run.id}`);
      return r.status === 'running' ? undefined : r;
    }, 60_000);
    expect(done.status).toBe('cancelled');
    expect(await leftoversOf(docker!, APP)).toEqual([]);
  });
});
