import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/server/context.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { startGiteaApi, type GiteaApi } from '../helpers/forge-gitea.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { apiClient } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait-for.ts';

// A Gitea push webhook into a real `werker server` with its embedded runner and the real engine;
// the commit statuses go to a loopback Gitea that checks each request against Gitea's API description.
const docker = await requireDocker();
const APP = `gitea-${randomBytes(3).toString('hex')}`;
const GITEA_TOKEN = `gitea-token-${randomBytes(6).toString('hex')}`;
const YML = `box: ${BUSYBOX}\nbuild:\n  steps:\n    - script:\n        name: pass\n        code: echo built by werker\n`;
const FIXTURES = path.join(import.meta.dirname, '../fixtures/forges/gitea');
const DOCUMENTED_PUSH = readFileSync(path.join(FIXTURES, 'push.json'), 'utf8');
const PULL_REQUEST = readFileSync(path.join(FIXTURES, 'pull_request_opened.json'), 'utf8');

describe.skipIf(!docker)('a Gitea repository built by werker server', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-gitea');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-gitea-'));
  let server: RunningServer;
  let gitea: GiteaApi;
  let api: ReturnType<typeof apiClient>;
  let secret: string;

  beforeAll(async () => {
    gitea = await startGiteaApi(GITEA_TOKEN);
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, runners: 1, runtime: docker!, leaseMs: 15_000, log: () => undefined, allowLocalRepos: [tmpdir()] });
    const user = await server.core.auth.createUser('tester', 'long enough password');
    api = apiClient(server.url, (await server.core.auth.createToken('user', 'it', user)).token);
    const { application } = await api.post<{ application: { id: number } }>('/api/applications', { name: APP, repository: repo.dir });
    await server.core.setForgeSettings(application.id, { kind: 'gitea', apiUrl: gitea.apiUrl, repository: 'gitea/webhooks', token: GITEA_TOKEN }, user);
    secret = (await api.get<{ secret: string }>(`/api/applications/${APP}/webhook`)).secret;
  });
  afterAll(async () => {
    await server?.close();
    await gitea?.close();
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  /** Gitea's documented push, moved to this repository's branch and commit, signed as Gitea signs it. */
  const push = (body: string, signature = createHmac('sha256', secret).update(body).digest('hex')) => fetch(`${server.url}/hooks/gitea/${APP}`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-gitea-event': 'push', 'x-gitea-delivery': randomBytes(8).toString('hex'), 'x-gitea-signature': signature },
  });
  const documentedPushOf = (commit: string) => DOCUMENTED_PUSH.replaceAll('bffeb74224043ba2feb48d137756c8a9331c449a', commit).replace('refs/heads/develop', 'refs/heads/main');

  it('refuses a forged delivery (body changed after signing): 401, nothing queued, no status', async () => {
    const body = documentedPushOf(repo.head());
    const res = await push(body.replace('Webhooks Yay!', 'Webhooks Nay!'), createHmac('sha256', secret).update(body).digest('hex'));
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('X-Gitea-Signature');
    expect((await api.get<{ runs: Run[] }>(`/api/applications/${APP}/runs`)).runs).toEqual([]);
    expect(gitea.statuses).toEqual([]);
  });

  it('runs the pushed commit and reports pending, then success, for werker/build with the run\'s URL', async () => {
    const commit = repo.head();
    const res = await push(documentedPushOf(commit));
    expect(res.status, await res.clone().text()).toBe(202);
    const { run: runId } = (await res.json()) as { run: number };
    const run = await waitFor(`run ${runId} to finish`, async () => {
      const { run: now } = await api.get<{ run: Run }>(`/api/runs/${runId}`);
      return now.status === 'queued' || now.status === 'running' ? undefined : now;
    });
    expect(run).toMatchObject({ status: 'passed', commit, branch: 'main' });
    const done = await waitFor('the success status', async () => (gitea.statuses.some((s) => s.body.state === 'success') ? gitea.statuses : undefined), 30_000);
    expect(gitea.problems).toEqual([]);
    expect(done.map((s) => s.body.state)[0]).toBe('pending');
    expect(done.at(-1)!.body.state).toBe('success');
    for (const s of done) {
      expect(s).toMatchObject({ owner: 'gitea', repo: 'webhooks', sha: commit, authorization: `token ${GITEA_TOKEN}` });
      expect(s.body).toMatchObject({ context: 'werker/build', target_url: `${server.url}/runs/${runId}` });
    }
  });

  it('builds a pull request Forgejo announces (X-Forgejo-* headers) at its head commit, and reports on that commit', async () => {
    const git = (...args: string[]) => execFileSync('git', ['-C', repo.dir, ...args], { encoding: 'utf8' }).trim();
    git('checkout', '--quiet', '-b', 'faster-checkout');
    const head = repo.commit({ 'notes.txt': 'faster\n' }, 'faster checkout');
    git('checkout', '--quiet', 'main');
    const body = PULL_REQUEST.replaceAll('bffeb74224043ba2feb48d137756c8a9331c449a', head).replaceAll('"master"', '"main"');
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    const res = await fetch(`${server.url}/hooks/gitea/${APP}`, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'x-forgejo-event': 'pull_request', 'x-forgejo-delivery': randomBytes(8).toString('hex'), 'x-forgejo-signature': signature },
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const { run: runId } = (await res.json()) as { run: number };
    const run = await waitFor(`run ${runId} to finish`, async () => {
      const { run: now } = await api.get<{ run: Run }>(`/api/runs/${runId}`);
      return now.status === 'queued' || now.status === 'running' ? undefined : now;
    });
    expect(run).toMatchObject({ status: 'passed', commit: head, branch: 'faster-checkout', trigger: 'pull_request', pipeline: 'build' });
    const onHead = await waitFor('the success status on the head commit', async () => {
      const mine = gitea.statuses.filter((s) => s.sha === head);
      return mine.some((s) => s.body.state === 'success') ? mine : undefined;
    }, 30_000);
    expect(gitea.problems).toEqual([]);
    expect(onHead[0]!.body).toMatchObject({ state: 'pending', context: 'werker/build', target_url: `${server.url}/runs/${runId}` });
  });

  it('tries the result status again when Gitea answers 503 once, with the same body', async () => {
    const commit = repo.commit({ 'again.txt': 'again\n' }, 'again');
    const res = await push(documentedPushOf(commit));
    expect(res.status, await res.clone().text()).toBe(202);
    // Once the run is reported running, Gitea fails the next request (the result) once.
    await waitFor('the running status', async () => (gitea.statuses.filter((s) => s.sha === commit).length >= 2 ? true : undefined), 60_000, 20);
    gitea.failNext(1, 503);
    const mine = await waitFor('the success status accepted', async () => {
      const got = gitea.statuses.filter((s) => s.sha === commit);
      return got.some((s) => s.body.state === 'success' && s.answered === 201) ? got : undefined;
    }, 60_000);
    expect(gitea.problems).toEqual([]);
    const results = mine.filter((s) => s.body.state === 'success');
    expect(results.map((s) => s.answered)).toEqual([503, 201]);
    expect(results[1]!.body).toEqual(results[0]!.body);
  });
});
