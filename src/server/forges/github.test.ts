import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullRequestPayload, recordedPayload, startGitHubStatusApi, withAction, type GitHubStatusApi } from '../../../test/helpers/forge-github.ts';
import { validator, errorsOf } from '../../../test/helpers/github-api.ts';
import { ForgeRequestError, type WebhookDelivery } from './forge.ts';
import { githubForge } from './github.ts';

const recorded = recordedPayload;

const SECRET = 'it-is-a-secret-to-everybody';
const delivery = (event: string, body: string, signature?: string, id = 'd-1'): WebhookDelivery => {
  const headers: Record<string, string | undefined> = { 'x-github-event': event, 'x-github-delivery': id, 'x-hub-signature-256': signature };
  return { rawBody: Buffer.from(body), header: (name) => headers[name] };
};
const signed = async (event: string, payload: unknown) => {
  const body = JSON.stringify(payload);
  return delivery(event, body, await sign(SECRET, body));
};
const forkPullRequest = () => pullRequestPayload({ action: 'opened', headSha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', headRef: 'changes', baseRef: 'master', fork: true });

describe('GitHub webhooks: signature first', () => {
  it('accepts a delivery signed with the secret, and refuses a forged, missing or stale one', async () => {
    const body = JSON.stringify(recorded('push'));
    const good = await sign(SECRET, body);
    expect(await githubForge.webhooks.verify(SECRET, delivery('push', body, good))).toBe(true);
    expect(await githubForge.webhooks.verify(SECRET, delivery('push', body, await sign('another-secret', body)))).toBe(false);
    expect(await githubForge.webhooks.verify(SECRET, delivery('push', `${body} `, good))).toBe(false); // body changed after signing
    expect(await githubForge.webhooks.verify(SECRET, delivery('push', body))).toBe(false);
    expect(await githubForge.webhooks.verify(SECRET, delivery('push', body, 'sha256=00'))).toBe(false);
    expect(await githubForge.webhooks.verify(SECRET, delivery('push', body, good.replace('sha256=', 'sha1=')))).toBe(false);
    expect(await githubForge.webhooks.verify(SECRET, delivery('push', '', good))).toBe(false);
  });

  it('names the delivery by X-GitHub-Delivery (a replay carries the same id)', () => {
    expect(githubForge.webhooks.deliveryId(delivery('push', '{}', undefined, ' 72d3162e-cc78-11e3-81ab-4c9367dc0958 '))).toBe('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(githubForge.webhooks.deliveryId(delivery('push', '{}', undefined, ''))).toBeUndefined();
  });
});

describe('GitHub webhooks: recorded payloads as events', () => {
  it('reads a push to a branch, and ignores a tag push', async () => {
    const branch = recorded('push', (p) => p.ref === 'refs/heads/master');
    expect(githubForge.webhooks.parse(await signed('push', branch))).toEqual({ kind: 'push', branch: 'master', commit: branch.after, deleted: false, pusher: 'Codertocat' });
    expect(githubForge.webhooks.parse(await signed('push', recorded('push', (p) => p.ref === 'refs/tags/simple-tag')))).toEqual({ kind: 'ignored', reason: 'ref "refs/tags/simple-tag" is not a branch' });
  });

  it('reads ping', async () => {
    expect(githubForge.webhooks.parse(await signed('ping', recorded('ping')))).toEqual({ kind: 'ping' });
  });

  it('reads a pull request opened, synchronized or reopened from the same repository', async () => {
    for (const action of ['opened', 'synchronize', 'reopened']) {
      const p = recorded('pull_request', withAction(action)) as { pull_request: { head: { sha: string } } };
      expect(githubForge.webhooks.parse(await signed('pull_request', p))).toEqual({
        kind: 'pull_request', action, number: 2, headSha: p.pull_request.head.sha, headBranch: 'changes', baseBranch: 'master', fromFork: false, author: 'Codertocat',
      });
    }
  });

  it('tells a fork\'s pull request apart (the payload fits GitHub\'s webhook schema)', async () => {
    const fork = forkPullRequest();
    // The recorded example predates fields the schema now requires (auto_merge…): the fork's
    // changes must add no schema error of their own.
    const schema = validator('components', 'schemas', 'webhook-pull-request-opened');
    const problems = (payload: unknown) => (schema(payload) ? [] : errorsOf(schema).split('; '));
    const recordedProblems = problems(recorded('pull_request', withAction('opened')));
    expect(problems(fork).filter((p) => !recordedProblems.includes(p))).toEqual([]);
    expect(problems({ ...fork, pull_request: { ...(fork.pull_request as object), head: { repo: 'forker/Hello-World' } } }).length).toBeGreaterThan(recordedProblems.length);
    expect(githubForge.webhooks.parse(await signed('pull_request', fork))).toMatchObject({ kind: 'pull_request', fromFork: true, headBranch: 'changes' });
  });

  it('ignores the pull request actions that change no code, and events it does not build', async () => {
    for (const action of ['closed', 'labeled', 'assigned', 'converted_to_draft', 'review_requested']) {
      expect(githubForge.webhooks.parse(await signed('pull_request', recorded('pull_request', withAction(action))))).toEqual({ kind: 'ignored', reason: `pull_request action ${action}` });
    }
    expect(githubForge.webhooks.parse(await signed('issues', { action: 'opened' }))).toEqual({ kind: 'ignored', reason: 'event issues' });
  });

  it('refuses a body that is not what the event says, naming what is missing', async () => {
    expect(githubForge.webhooks.parse(await signed('pull_request', { action: 'opened' }))).toMatchObject({ kind: 'invalid', error: expect.stringContaining('"pull_request"') });
    expect(githubForge.webhooks.parse(delivery('pull_request', 'not json'))).toMatchObject({ kind: 'invalid', error: expect.stringContaining('not JSON') });
    const badBranch = recorded('pull_request', withAction('opened')) as { pull_request: { head: { ref: string } } };
    badBranch.pull_request.head.ref = 'x\ny';
    expect(githubForge.webhooks.parse(await signed('pull_request', badBranch))).toMatchObject({ kind: 'invalid', error: expect.stringContaining('pull_request.head.ref') });
  });
});

describe('GitHub commit statuses, against GitHub\'s OpenAPI description on loopback', () => {
  let api: GitHubStatusApi;
  beforeAll(async () => {
    api = await startGitHubStatusApi({ token: 'ghp_statustoken123', repos: ['acme/shop'] });
  });
  afterAll(() => api.close());
  const connection = () => ({ kind: 'github' as const, apiUrl: api.apiUrl, owner: 'acme', repo: 'shop', token: 'ghp_statustoken123' });
  const status = { sha: 'a'.repeat(40), state: 'pending' as const, context: 'werker/build', description: 'queued', targetUrl: 'https://ci.example.test/runs/1' };

  it('posts "Create a commit status" as the description asks', async () => {
    await githubForge.client(connection()).postStatus({ ...status, description: 'x'.repeat(300) });
    expect(api.problems).toEqual([]);
    expect(api.statuses.at(-1)).toMatchObject({ operationId: 'repos/create-commit-status', owner: 'acme', repo: 'shop', sha: status.sha, body: { state: 'pending', context: 'werker/build', target_url: status.targetUrl } });
    expect(api.statuses.at(-1)!.body.description).toHaveLength(140);
  });

  it('says a wrong token is final, and a 5xx worth another try', async () => {
    const wrong = githubForge.client({ ...connection(), token: 'nope' }).postStatus(status);
    await expect(wrong).rejects.toMatchObject({ retryable: false, status: 401, message: expect.stringContaining('check the forge token') });
    api.failNext(1, 502);
    await expect(githubForge.client(connection()).postStatus(status)).rejects.toMatchObject({ retryable: true, status: 502 });
    await expect(githubForge.client({ ...connection(), apiUrl: 'http://127.0.0.1:1' }).postStatus(status)).rejects.toBeInstanceOf(ForgeRequestError);
    api.problems.length = 0;
  });

  it('the loopback API refuses a wrong path, method or body (so a mistake in the client fails its test)', async () => {
    const headers = { 'user-agent': 't', authorization: 'Bearer ghp_statustoken123', 'content-type': 'application/json' };
    const post = (path: string, body: unknown, method = 'POST') => fetch(`${api.apiUrl}${path}`, { method, headers, body: JSON.stringify(body) });
    expect((await post('/repos/acme/shop/status/abc', { state: 'success' })).status).toBe(404);
    expect((await post(`/repos/acme/shop/statuses/${status.sha}`, { state: 'success' }, 'PUT')).status).toBe(405);
    expect((await post(`/repos/acme/shop/statuses/${status.sha}`, { state: 'running' })).status).toBe(422);
    expect((await post(`/repos/acme/shop/statuses/${status.sha}`, { context: 'werker/build' })).status).toBe(422);
    expect(api.problems).toHaveLength(4);
    api.problems.length = 0;
  });
});
