import { verify } from '@octokit/webhooks-methods';
import type { paths } from '@octokit/openapi-types';
import type { components } from '@octokit/openapi-webhooks-types';
import { branchNameProblem } from '../branch-name.ts';
import { InstallationTokens } from './github-app.ts';
import { postStatusJson } from './http.ts';
import { ForgeRequestError, PULL_REQUEST_ACTIONS, type CommitStatus, type Forge, type ForgeClient, type ForgeConnection, type ForgeEvent, type PullRequestAction, type WebhookDelivery } from './forge.ts';

type Schemas = components['schemas'];
type PushPayload = Schemas['webhook-push'];
type PullRequestPayload = Schemas['webhook-pull-request-opened'] | Schemas['webhook-pull-request-synchronize'] | Schemas['webhook-pull-request-reopened'];
/** The body of "Create a commit status", as GitHub's OpenAPI description gives it. */
type StatusBody = paths['/repos/{owner}/{repo}/statuses/{sha}']['post']['requestBody']['content']['application/json'];

const SIGNATURE_HEADER = 'x-hub-signature-256';
/** GitHub refuses a status description over 140 characters (422). */
const MAX_DESCRIPTION = 140;

/**
 * GitHub: webhooks signed with `X-Hub-Signature-256` (HMAC-SHA256 of the raw body), events named
 * by `X-GitHub-Event`, deliveries by `X-GitHub-Delivery`; statuses through the REST API's
 * "Create a commit status" (one per context, the newest wins).
 */
export const githubForge: Forge = {
  kind: 'github',
  defaultApiUrl: 'https://api.github.com',
  webhooks: {
    signatureHeader: 'X-Hub-Signature-256',
    async verify(secret, delivery) {
      const signature = delivery.header(SIGNATURE_HEADER)?.trim();
      // @octokit/webhooks-methods throws for empty inputs: those are simply unsigned.
      if (!secret || !signature || delivery.rawBody.length === 0) return false;
      return verify(secret, delivery.rawBody.toString('utf8'), signature);
    },
    deliveryId: (delivery) => delivery.header('x-github-delivery')?.trim().slice(0, 200) || undefined,
    parse: parseGitHubDelivery,
  },
  client: (connection, fetchImpl = fetch) => githubClient(connection, fetchImpl, installationTokens),
};

/** The server's installation tokens (one cache for every application's App credentials). */
const installationTokens = new InstallationTokens();

/**
 * Statuses with the connection's token, or with an installation token of its GitHub App (asked
 * for when none is cached or it is about to expire; forgotten when GitHub refuses it, so the
 * next try asks for a new one).
 */
export function githubClient(connection: ForgeConnection, fetchImpl: typeof fetch, tokens: InstallationTokens): ForgeClient {
  const app = connection.githubApp;
  return {
    async postStatus(status, signal) {
      const token = app ? await tokens.tokenFor({ ...connection, githubApp: app }, fetchImpl, signal) : connection.token ?? '';
      try {
        await postStatusJson(fetchImpl, statusUrl(connection, status.sha), githubHeaders(token), statusBody(status), signal);
      } catch (err) {
        if (app && err instanceof ForgeRequestError && err.status === 401) tokens.forget({ ...connection, githubApp: app });
        throw err;
      }
    },
  };
}

function statusUrl(c: ForgeConnection, sha: string): string {
  return `${c.apiUrl}/repos/${encodeURIComponent(c.owner)}/${encodeURIComponent(c.repo)}/statuses/${sha}`;
}

/** What GitHub's REST API asks of every request (a User-Agent, its media type, the API version). */
function githubHeaders(token: string): Record<string, string> {
  return { accept: 'application/vnd.github+json', authorization: `Bearer ${token}`, 'user-agent': 'werker', 'x-github-api-version': '2022-11-28' };
}

function statusBody(s: CommitStatus): StatusBody {
  return { state: s.state, target_url: s.targetUrl, description: s.description.slice(0, MAX_DESCRIPTION), context: s.context };
}

/** A verified delivery as a ForgeEvent: `X-GitHub-Event` says which payload the body is. */
export function parseGitHubDelivery(delivery: WebhookDelivery): ForgeEvent {
  const event = delivery.header('x-github-event') ?? 'push';
  if (event === 'ping') return { kind: 'ping' };
  if (event !== 'push' && event !== 'pull_request') return { kind: 'ignored', reason: `event ${event}` };
  const payload = parseBody(delivery.rawBody);
  if (payload === undefined) return { kind: 'invalid', error: `the body is not JSON (a ${event} payload)` };
  return event === 'push' ? pushEvent(payload as Partial<PushPayload>) : pullRequestEvent(payload as Partial<PullRequestPayload> & { action?: string });
}

/** JSON, or GitHub's form encoding `payload=<urlencoded JSON>`; undefined when it is neither. */
function parseBody(raw: Buffer): unknown {
  let text = raw.toString('utf8');
  try {
    if (text.startsWith('payload=')) text = decodeURIComponent(text.slice('payload='.length).replace(/\+/g, ' '));
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

const SHA = /^[0-9a-f]{40}$/;

function pushEvent(p: Partial<PushPayload>): ForgeEvent {
  if (typeof p.ref !== 'string' || typeof p.after !== 'string') return { kind: 'invalid', error: 'the body is not a push payload (JSON with "ref" and "after")' };
  if (!p.ref.startsWith('refs/heads/')) return { kind: 'ignored', reason: `ref ${JSON.stringify(p.ref)} is not a branch` };
  const branch = p.ref.slice('refs/heads/'.length);
  const bad = branchNameProblem(branch);
  if (bad) return { kind: 'invalid', error: `ref ${JSON.stringify(p.ref)} names no valid branch (git check-ref-format): ${bad}` };
  if (!SHA.test(p.after)) return { kind: 'invalid', error: '"after" must be the pushed commit\'s 40-hex id' };
  const deleted = p.deleted === true || /^0+$/.test(p.after);
  return { kind: 'push', branch, commit: p.after, deleted, ...(typeof p.pusher?.name === 'string' ? { pusher: p.pusher.name } : {}) };
}

function pullRequestEvent(p: Partial<PullRequestPayload> & { action?: string }): ForgeEvent {
  const pr = p.pull_request;
  if (typeof p.action !== 'string' || !pr || typeof pr.head?.sha !== 'string' || typeof pr.head.ref !== 'string' || typeof pr.base?.ref !== 'string') {
    return { kind: 'invalid', error: 'the body is not a pull_request payload (JSON with "action" and "pull_request" with "head" and "base")' };
  }
  if (!PULL_REQUEST_ACTIONS.includes(p.action as PullRequestAction)) return { kind: 'ignored', reason: `pull_request action ${p.action}` };
  if (!SHA.test(pr.head.sha)) return { kind: 'invalid', error: '"pull_request.head.sha" must be a 40-hex commit id' };
  const bad = branchNameProblem(pr.head.ref);
  if (bad) return { kind: 'invalid', error: `"pull_request.head.ref" ${JSON.stringify(pr.head.ref)} is no valid branch name: ${bad}` };
  // A head repository that is gone (deleted fork: null) or another than the base's is a fork.
  const fromFork = pr.head.repo?.id !== pr.base.repo?.id;
  const number = typeof p.number === 'number' ? p.number : pr.number;
  return {
    kind: 'pull_request', action: p.action as PullRequestAction, number, headSha: pr.head.sha, headBranch: pr.head.ref,
    baseBranch: pr.base.ref, fromFork, author: pr.user?.login ?? p.sender?.login ?? 'unknown',
  };
}
