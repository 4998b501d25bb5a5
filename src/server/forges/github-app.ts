import { createHash, createPrivateKey, sign } from 'node:crypto';
import type { paths } from '@octokit/openapi-types';
import { ForgeRequestError, type ForgeConnection, type GitHubAppCredentials } from './forge.ts';
import { postJson } from './http.ts';

/**
 * GitHub App credentials → installation access tokens (src/server/README.md, forge routes).
 * The App signs a JWT (RS256 with its private key; `iss` its id, `iat` 60 s in the past against
 * clock drift, `exp` under GitHub's 10-minute limit) and trades it at "Create an installation
 * access token" for a token that lasts an hour; that token posts the statuses and is cached until
 * shortly before its `expires_at`. Signed with node:crypto: `@octokit/auth-app` would bring a
 * second HTTP client (@octokit/request) and about a dozen packages for one RS256 signature.
 */
type TokenPath = paths['/app/installations/{installation_id}/access_tokens']['post'];
type TokenBody = NonNullable<TokenPath['requestBody']>['content']['application/json'];
type TokenAnswer = TokenPath['responses']['201']['content']['application/json'];

/** A cached token is renewed this long before it expires (a status request must not race its end). */
const RENEW_BEFORE_MS = 5 * 60_000;
const JWT_BACKDATE_S = 60;
const JWT_LIFETIME_S = 9 * 60;

/** A JWT that authenticates as the App (GitHub: RS256, at most 10 minutes). */
export function appJwt(app: GitHubAppCredentials, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iat: now - JWT_BACKDATE_S, exp: now + JWT_LIFETIME_S, iss: app.appId })}`;
  return `${unsigned}.${sign('sha256', Buffer.from(unsigned), createPrivateKey(app.privateKey)).toString('base64url')}`;
}

/** Installation tokens by App, installation and repository, each kept until shortly before it expires. */
export class InstallationTokens {
  /** Each entry is the request for the token (settled or not): concurrent statuses share one request. */
  private readonly cache = new Map<string, Promise<{ token: string; expiresAt: number }>>();
  private readonly now: () => number;
  private readonly renewBeforeMs: number;

  constructor(opts: { now?: () => number; renewBeforeMs?: number } = {}) {
    this.now = opts.now ?? Date.now;
    this.renewBeforeMs = opts.renewBeforeMs ?? RENEW_BEFORE_MS;
  }

  /** A token for the connection's repository: the cached one while it lasts, else a new one. */
  async tokenFor(c: ForgeConnection & { githubApp: GitHubAppCredentials }, fetchImpl: typeof fetch, signal?: AbortSignal): Promise<string> {
    const key = cacheKey(c);
    const cached = this.cache.get(key);
    if (cached) {
      const t = await cached.catch(() => undefined);
      if (t && t.expiresAt - this.renewBeforeMs > this.now()) return t.token;
      // Refused, or renewed by another status meanwhile: look again.
      if (this.cache.get(key) !== cached) return this.tokenFor(c, fetchImpl, signal);
    }
    const fresh = requestToken(c, appJwt(c.githubApp, this.now()), fetchImpl, signal);
    this.cache.set(key, fresh);
    // A refused request is not kept: the next status asks again (the settings may have been fixed).
    fresh.catch(() => this.cache.get(key) === fresh && this.cache.delete(key));
    return (await fresh).token;
  }

  /** Forgets the connection's token (GitHub refused it: revoked, or the installation changed). */
  forget(c: ForgeConnection & { githubApp: GitHubAppCredentials }): void {
    this.cache.delete(cacheKey(c));
  }
}

function cacheKey(c: ForgeConnection & { githubApp: GitHubAppCredentials }): string {
  const key = createHash('sha256').update(c.githubApp.privateKey).digest('hex');
  return [c.apiUrl, c.githubApp.appId, c.githubApp.installationId, c.owner, c.repo, key].join(' ');
}

const refusalHint = (status: number) => status === 404
  ? ' (check the installation id: the GitHub App must be installed on the repository\'s owner, and the App id must be that App\'s)'
  : status === 401 || status === 403
    ? ' (check the GitHub App id and private key, and that the App may write commit statuses on this repository)'
    : '';

/** "Create an installation access token", narrowed to this repository and to writing statuses. */
async function requestToken(c: ForgeConnection & { githubApp: GitHubAppCredentials }, jwt: string, fetchImpl: typeof fetch, signal?: AbortSignal): Promise<{ token: string; expiresAt: number }> {
  const url = `${c.apiUrl}/app/installations/${encodeURIComponent(c.githubApp.installationId)}/access_tokens`;
  const headers = { accept: 'application/vnd.github+json', authorization: `Bearer ${jwt}`, 'user-agent': 'werker', 'x-github-api-version': '2022-11-28' };
  const body: TokenBody = { repositories: [c.repo], permissions: { statuses: 'write' } };
  const text = await postJson(fetchImpl, url, headers, body, signal, refusalHint);
  let answer: Partial<TokenAnswer>;
  try {
    answer = JSON.parse(text) as Partial<TokenAnswer>;
  } catch {
    answer = {};
  }
  const expiresAt = Date.parse(answer.expires_at ?? '');
  if (typeof answer.token !== 'string' || !answer.token || Number.isNaN(expiresAt)) {
    throw new ForgeRequestError(`POST ${url}: the answer has no "token" and "expires_at" (is the API address GitHub's?)`, false);
  }
  return { token: answer.token, expiresAt };
}
