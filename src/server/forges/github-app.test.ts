import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubStatusApi, type GitHubStatusApi } from '../../../test/helpers/forge-github.ts';
import { ForgeRequestError, type CommitStatus, type ForgeConnection } from './forge.ts';
import { appJwt, InstallationTokens } from './github-app.ts';
import { githubClient } from './github.ts';

// GitHub App credentials against the loopback GitHub API (checked against GitHub's OpenAPI
// description; it verifies the App's JWT with the App's public key).
const pem = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
const appKeys = pem();
const otherKeys = pem();
const APP = { appId: '424242', installationId: '1717' };
const status: CommitStatus = { sha: 'a'.repeat(40), state: 'pending', context: 'werker/build', description: 'queued', targetUrl: 'https://ci.example.test/runs/1' };

let github: GitHubStatusApi;
let shortLived: GitHubStatusApi;
beforeAll(async () => {
  github = await startGitHubStatusApi({ token: 'ghp_not-used-here', repos: ['acme/shop'], app: { ...APP, publicKey: appKeys.publicKey } });
  shortLived = await startGitHubStatusApi({ token: 'ghp_not-used-here', repos: ['acme/shop'], app: { ...APP, publicKey: appKeys.publicKey, tokenLifetimeMs: 1000 } });
});
afterAll(async () => {
  await github.close();
  await shortLived.close();
});
beforeEach(() => {
  for (const api of [github, shortLived]) {
    api.statuses.length = api.problems.length = api.tokenRequests.length = 0;
  }
});

const connection = (api: GitHubStatusApi, app: Partial<typeof APP & { privateKey: string }> = {}): ForgeConnection => ({
  kind: 'github', apiUrl: api.apiUrl, owner: 'acme', repo: 'shop', githubApp: { ...APP, privateKey: appKeys.privateKey, ...app },
});
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('the App\'s JWT', () => {
  it('is RS256 with iat 60 s in the past, exp under 10 minutes, iss the App id', () => {
    const now = Date.UTC(2026, 11, 5, 12, 0, 0);
    const jwt = appJwt({ ...APP, privateKey: appKeys.privateKey }, now);
    expect(JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8'))).toEqual({ alg: 'RS256', typ: 'JWT' });
    const claims = claimsOf(jwt);
    expect(claims).toEqual({ iat: now / 1000 - 60, exp: expect.any(Number), iss: '424242' });
    expect((claims.exp as number) - now / 1000).toBeGreaterThan(0);
    expect((claims.exp as number) - now / 1000).toBeLessThanOrEqual(600);
  });
});

describe('statuses with GitHub App credentials', () => {
  it('trades the JWT for an installation token, for this repository and statuses only, and posts with it; the token is cached', async () => {
    const client = githubClient(connection(github), fetch, new InstallationTokens());
    await client.postStatus(status);
    await client.postStatus({ ...status, state: 'success', description: 'passed' });
    expect(github.problems).toEqual([]);
    expect(github.tokenRequests).toHaveLength(1);
    const [asked] = github.tokenRequests;
    expect(asked!.installationId).toBe('1717');
    expect(asked!.body).toEqual({ repositories: ['shop'], permissions: { statuses: 'write' } });
    expect(asked!.claims.iss).toBe('424242');
    expect(github.statuses.map((s) => [s.body.state, s.headers.authorization])).toEqual([['pending', `Bearer ${asked!.issued}`], ['success', `Bearer ${asked!.issued}`]]);
  });

  it('asks for a new token once the cached one expires', async () => {
    const client = githubClient(connection(shortLived), fetch, new InstallationTokens({ renewBeforeMs: 200 }));
    await client.postStatus(status);
    await new Promise((r) => setTimeout(r, 1100)); // the loopback's token has expired: it answers 401 to it now
    await client.postStatus({ ...status, state: 'success' });
    expect(shortLived.problems).toEqual([]);
    expect(shortLived.tokenRequests.map((t) => t.issued)).toHaveLength(2);
    expect(shortLived.statuses.map((s) => s.headers.authorization)).toEqual(shortLived.tokenRequests.map((t) => `Bearer ${t.issued}`));
  });

  it('forgets a token GitHub refuses (revoked), so the next try asks for a new one', async () => {
    const client = githubClient(connection(github), fetch, new InstallationTokens());
    await client.postStatus(status);
    github.expireTokens();
    await expect(client.postStatus(status)).rejects.toMatchObject({ status: 401 });
    await client.postStatus(status);
    expect(github.tokenRequests).toHaveLength(2);
    expect(github.statuses).toHaveLength(2);
    github.problems.length = 0; // the refused request is listed as a problem on purpose
  });

  it('a refused installation (404) or key (401) is final, with what to check', async () => {
    const tokens = new InstallationTokens();
    const notInstalled = await githubClient(connection(github, { installationId: '9999' }), fetch, tokens).postStatus(status).catch((e: unknown) => e);
    expect(notInstalled).toBeInstanceOf(ForgeRequestError);
    expect(notInstalled).toMatchObject({ status: 404, retryable: false, message: expect.stringMatching(/access_tokens: 404 .*check the installation id: the GitHub App must be installed/) });
    const wrongKey = await githubClient(connection(github, { privateKey: otherKeys.privateKey }), fetch, tokens).postStatus(status).catch((e: unknown) => e);
    expect(wrongKey).toMatchObject({ status: 401, retryable: false, message: expect.stringMatching(/401 .*check the GitHub App id and private key/) });
    expect(github.problems).toEqual([expect.stringContaining('the JWT\'s signature is not the App\'s key\'s')]);
    expect(github.statuses).toEqual([]);
    github.problems.length = 0;
  });
});
