import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import type { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pullRequestPayload, startGitHubStatusApi, type GitHubStatusApi } from '../../../test/helpers/forge-github.ts';
import { tempGitRepo } from '../../../test/helpers/git-repo.ts';
import { openStore } from '../../store/db.ts';
import { createApp } from '../app.ts';
import type { ServerEnv, User } from '../context.ts';
import { createServerCore, type Core } from '../service.ts';

// The forge side of the core through app.request (no socket, no runner), over SQLite in memory,
// a real git repository and the loopback GitHub status API.
const YML = 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        code: echo hi\n';
const TOKEN = 'ghp_unit-test-forge-token';
const repo = tempGitRepo({ 'wercker.yml': YML });
const appKey = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
const GITHUB_APP = { appId: '31337', installationId: '808' };
let github: GitHubStatusApi;
beforeAll(async () => {
  github = await startGitHubStatusApi({ token: TOKEN, repos: ['acme/shop'], app: { ...GITHUB_APP, publicKey: appKey.publicKey } });
});
afterAll(async () => {
  await github.close();
  repo.remove();
});

let dataDir: string;
let core: Core;
let app: Hono<ServerEnv>;
let admin: User;
let appId: number;
let secret: string;

beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'werker-forge-test-'));
  core = createServerCore(await openStore(':memory:'), { dataDir, leaseMs: 60_000, allowLocalRepos: [tmpdir()], baseUrl: 'https://ci.example.test', statusRetry: { attempts: 3, firstDelayMs: 10, maxDelayMs: 20, timeoutMs: 300 } });
  app = createApp(core, { heartbeatSeconds: 1 });
  admin = await core.auth.createUser('ada', 'correct horse battery');
  appId = (await core.createApplication({ name: 'shop', repository: repo.dir }, admin)).id;
  secret = await core.getWebhookSecret(appId, admin);
  await core.setForgeSettings(appId, { kind: 'github', apiUrl: github.apiUrl, repository: 'acme/shop', token: TOKEN }, admin);
  github.statuses.length = 0;
  github.problems.length = 0;
  github.tokenRequests.length = 0;
});
afterEach(async () => {
  await core.runChanges.settled();
  await core.store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const deliver = async (event: string, payload: unknown) => {
  const body = JSON.stringify(payload);
  const res = await app.request('/hooks/github/shop', { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-hub-signature-256': await sign(secret, body) } });
  return { status: res.status, body: (await res.json()) as { run?: number; ignored?: string; error?: string; untrusted?: boolean } };
};
const openPr = (fork = false, number = 3) => deliver('pull_request', pullRequestPayload({ action: 'opened', headSha: repo.head(), headRef: 'main', baseRef: 'main', number, fork }));

describe('pull request webhooks', () => {
  it('queues the PR pipeline at the head commit, a fork\'s untrusted; other actions start nothing', async () => {
    await core.setForgeSettings(appId, { pullRequestPipeline: 'build' }, admin);
    const same = await openPr(false, 3);
    const fork = await openPr(true, 4);
    expect([same.status, fork.status, fork.body.untrusted]).toEqual([202, 202, true]);
    expect(await core.getRun(same.body.run!)).toMatchObject({ trigger: 'pull_request', branch: 'main', commit: repo.head(), pullRequest: 3, untrusted: false, triggeredBy: 'Codertocat (pull request #3)' });
    expect(await core.getRun(fork.body.run!)).toMatchObject({ pullRequest: 4, untrusted: true, triggeredBy: 'Codertocat (pull request #4, from a fork)' });
    const closed = await deliver('pull_request', pullRequestPayload({ action: 'closed', headSha: repo.head(), headRef: 'main', baseRef: 'main' }));
    expect(closed).toEqual({ status: 202, body: { ignored: 'pull_request action closed' } });
    expect((await core.listRuns({})).runs).toHaveLength(2);
  });

  it('keeps untrusted through a retry, and only an admin\'s approval makes a trusted run', async () => {
    const { body } = await openPr(true);
    await core.cancelRun(body.run!, admin);
    expect((await core.retryRun(body.run!, admin)).untrusted).toBe(true);
    const member = await core.auth.createUser('bob', 'correct horse battery');
    await expect(core.approveRun(body.run!, member)).rejects.toMatchObject({ status: 403 });
    const approved = await core.approveRun(body.run!, admin);
    expect(approved).toMatchObject({ untrusted: false, approvedBy: 'ada', pullRequest: 3 });
    await expect(core.approveRun(approved.id, admin)).rejects.toMatchObject({ status: 409 });
  });

  it('answers an unknown forge with 404 and a forged delivery with 401', async () => {
    expect((await app.request('/hooks/bitbucket/shop', { method: 'POST', body: '{}' })).status).toBe(404);
    const body = JSON.stringify(pullRequestPayload({ action: 'opened', headSha: repo.head(), headRef: 'main', baseRef: 'main' }));
    const res = await app.request('/hooks/github/shop', { method: 'POST', body, headers: { 'x-github-event': 'pull_request', 'x-hub-signature-256': await sign('wrong', body) } });
    expect(res.status).toBe(401);
    expect((await core.listRuns({})).runs).toHaveLength(0);
  });
});

describe('commit statuses', () => {
  it('posts pending for a queued run of a forge\'s commit, with the run page and werker/<pipeline>', async () => {
    const { body } = await openPr();
    await core.runChanges.settled();
    expect(github.statuses.map((s) => s.body)).toEqual([{ state: 'pending', description: 'queued', context: 'werker/build', target_url: `https://ci.example.test/runs/${body.run}` }]);
    expect(github.problems).toEqual([]);
  });

  it('posts nothing for a run that did not come from the forge, or when the application has no forge token', async () => {
    await core.triggerRun(appId, 'build', { trigger: 'ui' }, admin);
    await core.setForgeSettings(appId, { clearToken: true }, admin);
    await openPr();
    await core.runChanges.settled();
    expect(github.statuses).toEqual([]);
  });

  it('gives up after the bounded tries on a forge that does not answer, and shows why on the run', async () => {
    github.hangNext(3);
    const { body } = await openPr();
    await core.runChanges.settled();
    const run = await core.getRun(body.run!);
    expect(run!.status).toBe('queued');
    expect(run!.forgeStatusError).toMatch(/the pending status for werker\/build was not posted after 3 tries: POST .*no answer in time/);
    expect(github.statuses).toEqual([]);
  });

  it('stops at once on a refused token, saying what to check, and never shows the token', async () => {
    await core.setForgeSettings(appId, { token: 'ghp_wrong-token-value' }, admin);
    const { body } = await openPr();
    await core.runChanges.settled();
    const run = await core.getRun(body.run!);
    expect(run!.forgeStatusError).toMatch(/after 1 try: .*401.*check the forge token/);
    expect(JSON.stringify(await core.getForgeSettings(appId))).not.toContain('ghp_');
    expect(await core.getForgeSettings(appId)).toMatchObject({ kind: 'github', owner: 'acme', repo: 'shop', tokenSet: true, pullRequestPipeline: 'build' });
  });
});

describe('forge settings', () => {
  it('refuses bad input naming the field', async () => {
    await expect(core.setForgeSettings(appId, { kind: 'gitlab' }, admin)).rejects.toThrow(/^"kind": "gitlab" is not a forge werker knows \(github, gitea\)/);
    await expect(core.setForgeSettings(appId, { kind: 'github', repository: 'just-a-name' }, admin)).rejects.toThrow(/^"repository": give the repository on the forge as owner\/name/);
    await expect(core.setForgeSettings(appId, { kind: 'github', repository: 'a/b', apiUrl: 'ftp://x' }, admin)).rejects.toThrow(/^"apiUrl": must be http\(s\)/);
    await expect(core.setForgeSettings(appId, { pullRequestPipeline: 'bad name' }, admin)).rejects.toThrow(/^"pullRequestPipeline"/);
    await expect(core.setForgeSettings(appId, { token: 'two words' }, admin)).rejects.toThrow(/^"token"/);
  });
});

describe('commit statuses as a GitHub App', () => {
  const putForge = async (body: Record<string, unknown>) => {
    const { token } = await core.auth.createToken('user', 'test', admin);
    const res = await app.request('/api/applications/shop/forge', { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, text: await res.text() };
  };

  it('set through the API (the key never comes back), posts with an installation token instead of the token', async () => {
    const res = await putForge({ appId: 31337, installationId: '808', privateKey: appKey.privateKey, clearToken: true });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('PRIVATE KEY');
    expect(JSON.parse(res.text)).toMatchObject({ forge: { kind: 'github', tokenSet: false, appId: '31337', installationId: '808', privateKeySet: true } });
    expect(JSON.stringify(await core.getForgeSettings(appId))).not.toContain('PRIVATE KEY');
    const { body } = await openPr();
    await core.runChanges.settled();
    expect(github.problems).toEqual([]);
    // This suite's status requests time out after 300 ms: a slow first token request may be tried again.
    expect(new Set(github.tokenRequests.map((t) => t.installationId))).toEqual(new Set(['808']));
    expect(github.statuses.map((s) => [s.body.target_url, s.headers.authorization])).toEqual([[`https://ci.example.test/runs/${body.run}`, `Bearer ${github.tokenRequests.at(-1)!.issued}`]]);
    expect((await core.getRun(body.run!))!.forgeStatusError).toBeNull();
  });

  it('a refused installation shows as the run\'s forge status error, with what to check; the key masked', async () => {
    await core.setForgeSettings(appId, { appId: '31337', installationId: '809', privateKey: appKey.privateKey }, admin);
    const { body } = await openPr();
    await core.runChanges.settled();
    const error = (await core.getRun(body.run!))!.forgeStatusError;
    expect(error).toMatch(/the pending status for werker\/build was not posted after 1 try: POST .*\/app\/installations\/809\/access_tokens: 404 .*check the installation id/);
    expect(error).not.toContain('PRIVATE KEY');
    expect(github.statuses).toEqual([]);
  });

  it('clearApp goes back to the token', async () => {
    await core.setForgeSettings(appId, { appId: '31337', installationId: '808', privateKey: appKey.privateKey }, admin);
    expect((await putForge({ clearApp: true })).status).toBe(200);
    expect(await core.getForgeSettings(appId)).toMatchObject({ tokenSet: true, appId: null, installationId: null, privateKeySet: false });
    await openPr();
    await core.runChanges.settled();
    expect(github.tokenRequests).toEqual([]);
    expect(github.statuses.map((s) => s.headers.authorization)).toEqual([`Bearer ${TOKEN}`]);
  });

  it('refuses App credentials that cannot be, naming the field, and never echoes the key', async () => {
    const set = (input: Record<string, unknown>) => core.setForgeSettings(appId, input, admin);
    await expect(set({ appId: 'my-app' })).rejects.toThrow(/^"appId": "my-app" is not a number/);
    await expect(set({ installationId: '12 34' })).rejects.toThrow(/^"installationId": "12 34" is not a number/);
    await expect(set({ privateKey: 'ghp_this-is-a-token' })).rejects.toThrow(/^"privateKey": give the GitHub App's private key/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    await expect(set({ privateKey: ec.privateKey })).rejects.toThrow(/^"privateKey": .*this is a ec key, GitHub signs with RSA/);
    const broken = appKey.privateKey.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    const err = await set({ privateKey: broken }).catch((e: Error) => e);
    expect(String(err)).toMatch(/"privateKey": .*cannot be read/);
    expect(String(err)).not.toContain('AAAAAAAAAAAAAAAAAAAA');
    await expect(set({ kind: 'gitea', apiUrl: 'https://gitea.example.test/api/v1', repository: 'acme/shop', appId: '1' })).rejects.toThrow(/^"appId": GitHub App credentials are for the GitHub forge only/);
    expect((await putForge({ appId: 'x1' })).text).toContain('\\"appId\\": \\"x1\\" is not a number');
  });
});
