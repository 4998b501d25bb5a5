import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDetail } from '../../src/server/context.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { pullRequestPayload, recordedPayload, startGitHubStatusApi, type GitHubStatusApi } from '../helpers/forge-github.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { apiClient } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait-for.ts';

// A GitHub pull request end to end: recorded payloads signed like GitHub signs them, werker server
// with its embedded runner on the real engine, and GitHub's status API on loopback checked
// against GitHub's OpenAPI description.
const docker = await requireDocker();
const SECRET = `s3cr3t-${randomBytes(6).toString('hex')}`;
const FORGE_TOKEN = `ghp_${randomBytes(12).toString('hex')}`;
const APP = `forge-gh-${randomBytes(3).toString('hex')}`;
const YML = `box: ${BUSYBOX}
build:
  steps:
    - script:
        name: look
        code: |
          if [ -n "$API_TOKEN" ]; then echo "protected variable: present ($API_TOKEN)"; else echo "protected variable: absent"; fi
          echo "region $REGION"
`;

describe.skipIf(!docker)('GitHub: pull requests and commit statuses', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-forge-gh');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo.dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.invalid' } }).trim();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-forge-gh-'));
  let server: RunningServer;
  let github: GitHubStatusApi;
  let api: ReturnType<typeof apiClient>;
  let member: ReturnType<typeof apiClient>;
  let hookSecret: string;
  let adminToken: string;

  beforeAll(async () => {
    github = await startGitHubStatusApi({ token: FORGE_TOKEN, repos: ['acme/shop'] });
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, runners: 1, runtime: docker!, leaseMs: 15_000, log: () => undefined, allowLocalRepos: [tmpdir()] });
    const admin = await server.core.auth.createUser('ada', 'long enough password');
    const bob = await server.core.auth.createUser('bob', 'long enough password');
    adminToken = (await server.core.auth.createToken('user', 'it', admin)).token;
    api = apiClient(server.url, adminToken);
    member = apiClient(server.url, (await server.core.auth.createToken('user', 'it', bob)).token);
    await api.post('/api/applications', { name: APP, repository: repo.dir });
    await api.post(`/api/applications/${APP}/variables`, { name: 'API_TOKEN', value: SECRET, protected: true });
    await api.post(`/api/applications/${APP}/variables`, { name: 'REGION', value: 'eu-west' });
    const forge = await fetch(`${server.url}/api/applications/${APP}/forge`, {
      method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'github', apiUrl: github.apiUrl, repository: 'acme/shop', token: FORGE_TOKEN }),
    });
    expect(forge.status).toBe(200);
    expect(await forge.text()).not.toContain(FORGE_TOKEN);
    hookSecret = (await api.get<{ secret: string }>(`/api/applications/${APP}/webhook`)).secret;
  });
  afterAll(async () => {
    await server?.close();
    await github?.close();
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  const deliver = async (event: string, payload: unknown, opts: { id?: string; signature?: string } = {}) => {
    const body = JSON.stringify(payload);
    const res = await fetch(`${server.url}/hooks/github/${APP}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': opts.id ?? randomUUID(), 'x-hub-signature-256': opts.signature ?? (await sign(hookSecret, body)) },
      body,
    });
    return { status: res.status, body: (await res.json()) as { run?: number; error?: string; ignored?: string } };
  };
  const finished = (id: number) => waitFor(`run ${id} finished`, async () => {
    const run = await server.core.getRun(id);
    return run && ['passed', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
  });
  const log = async (id: number) => JSON.stringify(await server.core.listRunEvents(id, 0, 100_000));
  const statusesOf = (sha: string, count: number) => waitFor(`${count} statuses for ${sha.slice(0, 8)}`, async () => {
    const got = github.statuses.filter((s) => s.sha === sha);
    return got.length >= count ? got : undefined;
  }, 60_000);
  /** A commit on a branch of its own (a pull request from the same repository). */
  const branchCommit = (branch: string) => {
    git('checkout', '-q', '-b', branch);
    const sha = repo.commit({ [`${branch}.txt`]: `${branch}\n` }, branch);
    git('checkout', '-q', 'main');
    return sha;
  };
  /** A commit no branch holds, kept under refs/pull/N/head as GitHub keeps a fork's pull request. */
  const forkCommit = (n: number) => {
    git('checkout', '-q', '--detach');
    const sha = repo.commit({ 'fork.txt': `from a fork ${n}\n` }, 'fork change');
    git('update-ref', `refs/pull/${n}/head`, sha);
    git('checkout', '-q', 'main');
    return sha;
  };

  it('builds a pull request and posts pending, running and success statuses in order, with the run page and werker/build', async () => {
    const sha = branchCommit('feature-x');
    const sent = await deliver('pull_request', pullRequestPayload({ action: 'opened', headSha: sha, headRef: 'feature-x', baseRef: 'main', number: 5 }));
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const run = await finished(sent.body.run!);
    expect(run).toMatchObject({ status: 'passed', trigger: 'pull_request', branch: 'feature-x', commit: sha, pullRequest: 5, untrusted: false, pipeline: 'build' });
    expect(await log(run.id)).toContain('protected variable: present (***)');

    const statuses = await statusesOf(sha, 3);
    expect(statuses.map((s) => [s.body.state, s.body.description])).toEqual([['pending', 'queued'], ['pending', 'running'], ['success', expect.stringMatching(/^passed in \d+ s$/)]]);
    for (const s of statuses) {
      expect(s).toMatchObject({ operationId: 'repos/create-commit-status', owner: 'acme', repo: 'shop', body: { context: 'werker/build', target_url: `${server.url}/runs/${run.id}` } });
      expect(s.headers.authorization).toBe(`Bearer ${FORGE_TOKEN}`);
    }
    expect(github.problems).toEqual([]);
    const latency = statuses[2]!.receivedAt - Date.parse(run.finishedAt!);
    console.log(`[measure] run end → success status request received: ${latency} ms`);
    expect(latency).toBeLessThan(5000);
    expect(JSON.stringify(await api.get(`/api/runs/${run.id}`))).not.toContain(FORGE_TOKEN);
  });

  it('runs a fork\'s pull request without protected variables; an admin\'s approval runs it with them', async () => {
    const sha = forkCommit(7);
    const sent = await deliver('pull_request', pullRequestPayload({ action: 'opened', headSha: sha, headRef: 'patch-1', baseRef: 'main', number: 7, fork: true }));
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const untrusted = await finished(sent.body.run!);
    expect(untrusted).toMatchObject({ status: 'passed', untrusted: true, pullRequest: 7, branch: 'patch-1', commit: sha });
    const text = await log(untrusted.id);
    expect(text).toContain('protected variable: absent');
    expect(text).toContain('region eu-west');
    expect(text).toContain('pull request from a fork');
    expect(text).not.toContain(SECRET);
    const page = await (await fetch(`${server.url}/runs/${untrusted.id}`, { headers: { authorization: `Bearer ${adminToken}` } })).text();
    expect(page).toContain('id="approve-run"');

    await expect(member.post(`/api/runs/${untrusted.id}/approve`)).rejects.toThrow(/403/);
    const { run: approved } = await api.post<{ run: RunDetail }>(`/api/runs/${untrusted.id}/approve`);
    expect(approved).toMatchObject({ untrusted: false, approvedBy: 'ada', retryOf: untrusted.id, commit: sha });
    const done = await finished(approved.id);
    expect(done.status).toBe('passed');
    expect(await log(approved.id)).toContain('protected variable: present (***)');

    // Both runs report on the fork's commit, in the same context: the approved run's success comes last.
    const statuses = await statusesOf(sha, 6);
    expect(statuses.every((s) => s.body.context === 'werker/build')).toBe(true);
    expect(statuses.at(-1)!.body).toMatchObject({ state: 'success', target_url: `${server.url}/runs/${approved.id}` });
    expect(statuses[0]!.body.description).toContain('fork');
    expect(github.problems).toEqual([]);
  });

  it('refuses forged and replayed deliveries, ignores what builds nothing, and answers ping', async () => {
    const before = (await api.get<{ runs: unknown[] }>(`/api/applications/${APP}/runs?limit=100`)).runs.length;
    const sha = branchCommit('feature-y');
    const payload = pullRequestPayload({ action: 'synchronize', headSha: sha, headRef: 'feature-y', baseRef: 'main', number: 9 });
    const forged = await deliver('pull_request', payload, { signature: await sign('not-the-secret', JSON.stringify(payload)) });
    expect(forged.status).toBe(401);
    const id = randomUUID();
    expect((await deliver('pull_request', payload, { id })).status).toBe(202);
    expect(await deliver('pull_request', payload, { id })).toEqual({ status: 200, body: { ignored: `duplicate delivery ${id}` } });
    expect((await deliver('pull_request', pullRequestPayload({ action: 'closed', headSha: sha, headRef: 'feature-y', baseRef: 'main' }))).body).toEqual({ ignored: 'pull_request action closed' });
    expect((await deliver('pull_request', pullRequestPayload({ action: 'labeled', headSha: sha, headRef: 'feature-y', baseRef: 'main' }))).status).toBe(202);
    expect((await deliver('ping', recordedPayload('ping'))).status).toBe(200);
    const after = (await api.get<{ runs: { id: number }[] }>(`/api/applications/${APP}/runs?limit=100`)).runs;
    expect(after.length).toBe(before + 1);
    await finished(after[0]!.id);
  });

  it('keeps posting through a forge that answers 5xx, without holding up the run', async () => {
    const sha = branchCommit('feature-z');
    github.failNext(2, 503);
    const sent = await deliver('pull_request', pullRequestPayload({ action: 'reopened', headSha: sha, headRef: 'feature-z', baseRef: 'main', number: 11 }));
    const run = await finished(sent.body.run!);
    expect(run.status).toBe('passed');
    const statuses = await waitFor('the success status', async () => {
      const got = github.statuses.filter((s) => s.sha === sha);
      return got.at(-1)?.body.state === 'success' ? got : undefined;
    }, 60_000);
    // A status still being retried gives way to a newer one of the same context: none arrives after the result.
    expect(statuses.map((s) => s.body.state).slice(-1)).toEqual(['success']);
    expect(github.log.filter((l) => l.endsWith('-> 503'))).toHaveLength(2);
    expect(github.problems).toEqual([]);
    const { run: after } = await api.get<{ run: RunDetail }>(`/api/runs/${run.id}`);
    expect(after.forgeStatusError).toBeNull();
  });
});
