import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyProblems, findOperation, giteaDescription, payloadProblems, startGiteaApi, type GiteaApi } from '../../../test/helpers/forge-gitea.ts';
import { ForgeRequestError, type CommitStatus, type WebhookDelivery } from './forge.ts';
import { gitea } from './gitea.ts';

// Gitea's webhooks with its documented payloads, and its status API on a loopback stand-in that
// checks every request against Gitea's API description (test/helpers/forge-gitea.ts).
const FIXTURES = path.join(import.meta.dirname, '../../../test/fixtures/forges/gitea');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
const SECRET = 'gitea-hook-secret';
const hex = (body: Buffer | string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');
const delivery = (rawBody: Buffer, headers: Record<string, string>): WebhookDelivery => ({
  rawBody, header: (name) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1],
});
const withJson = (name: string, change: (p: Record<string, any>) => void) => {
  const p = JSON.parse(fixture(name).toString('utf8')) as Record<string, any>;
  change(p);
  return Buffer.from(JSON.stringify(p));
};

describe('Gitea webhooks', () => {
  const push = fixture('push.json');

  it('accept the documented push payload signed as Gitea signs it: hex HMAC-SHA256 of the body, no prefix', async () => {
    expect(await gitea.webhooks.verify(SECRET, delivery(push, { 'X-Gitea-Event': 'push', 'X-Gitea-Signature': hex(push) }))).toBe(true);
    expect(await gitea.webhooks.verify(SECRET, delivery(push, { 'X-Forgejo-Event': 'push', 'X-Forgejo-Signature': hex(push) }))).toBe(true);
    expect(gitea.webhooks.signatureHeader).toBe('X-Gitea-Signature');
  });

  it('refuse a forged, re-keyed, prefixed or missing signature', async () => {
    const forged = Buffer.from(push.toString('utf8').replace('refs/heads/develop', 'refs/heads/main'));
    expect(await gitea.webhooks.verify(SECRET, delivery(forged, { 'X-Gitea-Signature': hex(push) }))).toBe(false);
    expect(await gitea.webhooks.verify(SECRET, delivery(push, { 'X-Gitea-Signature': hex(push, 'another secret') }))).toBe(false);
    expect(await gitea.webhooks.verify(SECRET, delivery(push, { 'X-Gitea-Signature': `sha256=${hex(push)}` }))).toBe(false);
    expect(await gitea.webhooks.verify(SECRET, delivery(push, { 'X-Hub-Signature-256': `sha256=${hex(push)}` }))).toBe(false);
    expect(await gitea.webhooks.verify(SECRET, delivery(push, {}))).toBe(false);
  });

  it('read the documented push: branch, commit and pusher, with its delivery id', () => {
    expect(payloadProblems('push', JSON.parse(push.toString('utf8')))).toEqual([]);
    const d = delivery(push, { 'X-Gitea-Event': 'push', 'X-Gitea-Delivery': 'f6266f16-1bf3-46a5-9ea4-602e06ead473' });
    expect(gitea.webhooks.parse(d)).toEqual({ kind: 'push', branch: 'develop', commit: 'bffeb74224043ba2feb48d137756c8a9331c449a', deleted: false, pusher: 'gitea' });
    expect(gitea.webhooks.deliveryId(d)).toBe('f6266f16-1bf3-46a5-9ea4-602e06ead473');
  });

  it('build nothing for tags and deleted branches, and say why for bodies that are not what the event says', () => {
    const tag = withJson('push.json', (p) => { p.ref = 'refs/tags/v1.0'; });
    expect(gitea.webhooks.parse(delivery(tag, { 'X-Gitea-Event': 'push' }))).toMatchObject({ kind: 'ignored' });
    const gone = withJson('push.json', (p) => { p.after = '0'.repeat(40); });
    expect(gitea.webhooks.parse(delivery(gone, { 'X-Gitea-Event': 'push' }))).toMatchObject({ kind: 'push', deleted: true });
    expect(gitea.webhooks.parse(delivery(push, { 'X-Gitea-Event': 'delete' }))).toEqual({ kind: 'ignored', reason: 'event delete' });
    expect(gitea.webhooks.parse(delivery(push, {}))).toMatchObject({ kind: 'invalid', error: expect.stringContaining('X-Gitea-Event') });
    expect(gitea.webhooks.parse(delivery(Buffer.from('payload=%7B%7D'), { 'X-Gitea-Event': 'push' }))).toMatchObject({ kind: 'invalid', error: expect.stringContaining('application/json') });
    const badRef = withJson('push.json', (p) => { p.ref = 'refs/heads/a..b'; });
    expect(gitea.webhooks.parse(delivery(badRef, { 'X-Gitea-Event': 'push' }))).toMatchObject({ kind: 'invalid' });
    const badSha = withJson('push.json', (p) => { p.after = 'HEAD'; });
    expect(gitea.webhooks.parse(delivery(badSha, { 'X-Gitea-Event': 'push' }))).toMatchObject({ kind: 'invalid' });
  });

  it('read a pull request: opened, synchronized and reopened build; a head in another repository is a fork', () => {
    const pr = fixture('pull_request_opened.json');
    expect(payloadProblems('pull_request', JSON.parse(pr.toString('utf8')))).toEqual([]);
    expect(gitea.webhooks.parse(delivery(pr, { 'X-Gitea-Event': 'pull_request' }))).toEqual({
      kind: 'pull_request', action: 'opened', number: 2, headSha: 'bffeb74224043ba2feb48d137756c8a9331c449a',
      headBranch: 'faster-checkout', baseBranch: 'master', fromFork: false, author: 'ada',
    });
    const sync = withJson('pull_request_opened.json', (p) => { p.action = 'synchronized'; });
    expect(gitea.webhooks.parse(delivery(sync, { 'X-Forgejo-Event': 'pull_request' }))).toMatchObject({ kind: 'pull_request', action: 'synchronize' });
    const closed = withJson('pull_request_opened.json', (p) => { p.action = 'closed'; });
    expect(gitea.webhooks.parse(delivery(closed, { 'X-Gitea-Event': 'pull_request' }))).toMatchObject({ kind: 'ignored' });
    const fork = withJson('pull_request_opened.json', (p) => { p.pull_request.head.repo_id = 141; p.pull_request.head.repo.id = 141; });
    expect(gitea.webhooks.parse(delivery(fork, { 'X-Gitea-Event': 'pull_request' }))).toMatchObject({ kind: 'pull_request', fromFork: true });
    const noHead = withJson('pull_request_opened.json', (p) => { delete p.pull_request.head; });
    expect(gitea.webhooks.parse(delivery(noHead, { 'X-Gitea-Event': 'pull_request' }))).toMatchObject({ kind: 'invalid' });
  });
});

describe('the stand-in Gitea checks requests against Gitea\'s API description', () => {
  it('knows the status operation by method and path, and refuses what Gitea would not take', () => {
    // The whole API is read (Gitea 1.23 has some 400 operations), not just the one used here.
    expect(giteaDescription().operations.length).toBeGreaterThan(300);
    expect(findOperation('POST', '/repos/o/r/statuses/abc')?.op).toMatchObject({ name: 'repoCreateStatus', bodyType: 'CreateStatusOption' });
    expect(findOperation('POST', '/repos/o/r/status/abc')).toBeUndefined();
    expect(findOperation('PUT', '/repos/o/r/statuses/abc')).toBeUndefined();
    expect(bodyProblems({ state: 'success', context: 'werker/build', target_url: 'http://x', description: 'passed' }, 'CreateStatusOption')).toEqual([]);
    expect(bodyProblems({ state: 'passed' }, 'CreateStatusOption')).toEqual([expect.stringContaining('body.state must be one of pending, success, error, failure')]);
    expect(bodyProblems({ state: 'success', targetUrl: 'http://x' }, 'CreateStatusOption')).toEqual(['body.targetUrl: CreateStatusOption has no property targetUrl']);
    expect(bodyProblems({ context: 7 }, 'CreateStatusOption')).toEqual([expect.stringContaining('must be a string')]);
  });
});

describe('Gitea commit statuses', () => {
  let api: GiteaApi;
  beforeAll(async () => {
    api = await startGiteaApi('gitea-token-1');
  });
  afterAll(async () => api.close());
  const status: CommitStatus = { sha: 'bffeb74224043ba2feb48d137756c8a9331c449a', state: 'pending', context: 'werker/build', description: 'queued', targetUrl: 'https://ci.example.test/runs/7' };
  const connection = (token = 'gitea-token-1', apiUrl = api.apiUrl) => ({ kind: 'gitea' as const, apiUrl, owner: 'gitea', repo: 'web hooks', token });

  it('posts each state to /repos/{owner}/{repo}/statuses/{sha} with the token, as Gitea describes it', async () => {
    const client = gitea.client(connection());
    await client.postStatus(status);
    await client.postStatus({ ...status, state: 'success', description: 'passed in 3 s' });
    expect(api.problems).toEqual([]);
    expect(api.statuses.map((s) => [s.owner, s.repo, s.sha, s.body.state, s.body.context, s.body.target_url, s.authorization])).toEqual([
      ['gitea', 'web hooks', status.sha, 'pending', 'werker/build', 'https://ci.example.test/runs/7', 'token gitea-token-1'],
      ['gitea', 'web hooks', status.sha, 'success', 'werker/build', 'https://ci.example.test/runs/7', 'token gitea-token-1'],
    ]);
  });

  it('says whether a failure is worth retrying: a wrong token is not, a 5xx and an unreachable Gitea are', async () => {
    const wrong = await gitea.client(connection('nope')).postStatus(status).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ForgeRequestError);
    expect(wrong).toMatchObject({ status: 401, retryable: false, message: expect.stringContaining('forge token') });
    api.problems.length = 0;
    api.failNext(1, 502);
    await expect(gitea.client(connection()).postStatus(status)).rejects.toMatchObject({ status: 502, retryable: true });
    await expect(gitea.client(connection('t', 'http://127.0.0.1:1/api/v1')).postStatus(status)).rejects.toMatchObject({ retryable: true });
  });
});
