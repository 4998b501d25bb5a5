import { createHmac } from 'node:crypto';
import type { CreateStatusOption } from 'gitea-js';
import { sameText } from '../auth.ts';
import { branchNameProblem } from '../branch-name.ts';
import { postStatusJson } from './http.ts';
import {
  type CommitStatus, type Forge, type ForgeClient, type ForgeConnection, type ForgeEvent, type ForgeWebhooks,
  type HeaderReader, type PullRequestAction, type WebhookDelivery,
} from './forge.ts';

/**
 * Gitea and Forgejo (Forgejo keeps Gitea's webhooks and API, and sends each `X-Gitea-*` header
 * also as `X-Forgejo-*`). Webhooks: `X-Gitea-Event` names the event, `X-Gitea-Signature` is the
 * hex HMAC-SHA256 of the raw body with the hook's secret (no `sha256=` prefix), `X-Gitea-Delivery`
 * its id. Gitea sends no ping: its "Test Delivery" button sends a push. Statuses: `POST
 * /api/v1/repos/{owner}/{repo}/statuses/{sha}` with `Authorization: token …`.
 */
export const gitea: Forge = {
  kind: 'gitea',
  webhooks: giteaWebhooks(),
  client: (connection, fetchImpl = fetch) => giteaClient(connection, fetchImpl),
};

/** A Gitea header, or Forgejo's copy of it. */
const giteaHeader = (header: HeaderReader, name: string): string | undefined => header(`x-gitea-${name}`) ?? header(`x-forgejo-${name}`);

function giteaWebhooks(): ForgeWebhooks {
  return {
    signatureHeader: 'X-Gitea-Signature',
    async verify(secret, delivery) {
      const sent = giteaHeader(delivery.header, 'signature')?.trim().toLowerCase();
      if (!sent || !/^[0-9a-f]{64}$/.test(sent)) return false;
      return sameText(sent, createHmac('sha256', secret).update(delivery.rawBody).digest('hex'));
    },
    deliveryId: (delivery) => giteaHeader(delivery.header, 'delivery')?.trim().slice(0, 200) || undefined,
    parse: (delivery) => parseGiteaDelivery(delivery),
  };
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const SHA = /^[0-9a-f]{40}$/;

/** A verified delivery as an event; bodies that are not what the event header says are `invalid`, never a throw. */
function parseGiteaDelivery(delivery: WebhookDelivery): ForgeEvent {
  const event = giteaHeader(delivery.header, 'event');
  if (!event) return { kind: 'invalid', error: 'no X-Gitea-Event (or X-Forgejo-Event) header: is the webhook of type "Gitea" or "Forgejo"?' };
  if (event !== 'push' && event !== 'pull_request') return { kind: 'ignored', reason: `event ${event}` };
  let body: Json | undefined;
  try {
    body = obj(JSON.parse(delivery.rawBody.toString('utf8')));
  } catch {
    body = undefined;
  }
  if (!body) return { kind: 'invalid', error: `the body is not JSON: set the webhook's content type to application/json` };
  return event === 'push' ? pushEvent(body) : pullRequestEvent(body);
}

/** `ref` + `after`; tags and branch deletions build nothing. */
function pushEvent(body: Json): ForgeEvent {
  const ref = text(body.ref);
  const after = text(body.after);
  if (ref === undefined || after === undefined) return { kind: 'invalid', error: 'the body is not a push payload (JSON with "ref" and "after")' };
  if (!ref.startsWith('refs/heads/')) return { kind: 'ignored', reason: `ref ${JSON.stringify(ref)} is not a branch` };
  const branch = ref.slice('refs/heads/'.length);
  const bad = branchNameProblem(branch);
  if (bad) return { kind: 'invalid', error: `ref ${JSON.stringify(ref)} names no valid branch (git check-ref-format): ${bad}` };
  if (!SHA.test(after)) return { kind: 'invalid', error: '"after" must be the pushed commit\'s 40-hex id' };
  const pusher = obj(body.pusher);
  const name = text(pusher?.login) ?? text(pusher?.username);
  return { kind: 'push', branch, commit: after, deleted: /^0+$/.test(after), ...(name ? { pusher: name } : {}) };
}

/** Gitea's pull request actions that build, in the interface's words (Gitea says "synchronized"). */
const BUILDING_ACTIONS: Record<string, PullRequestAction> = { opened: 'opened', synchronized: 'synchronize', reopened: 'reopened' };

/** `pull_request.head` (sha, ref, repo) against `base`; a head in another repository is a fork. */
function pullRequestEvent(body: Json): ForgeEvent {
  const action = text(body.action) ?? '';
  const pr = obj(body.pull_request);
  const head = obj(pr?.head);
  const base = obj(pr?.base);
  const number = typeof body.number === 'number' ? body.number : pr?.number;
  if (!pr || !head || !base || typeof number !== 'number') return { kind: 'invalid', error: 'the body is not a pull_request payload (JSON with "number" and "pull_request" with "head" and "base")' };
  const building = BUILDING_ACTIONS[action];
  if (!building) return { kind: 'ignored', reason: `pull request action ${JSON.stringify(action)}` };
  const headSha = text(head.sha) ?? '';
  const headBranch = text(head.ref) ?? '';
  const baseBranch = text(base.ref) ?? '';
  if (!SHA.test(headSha)) return { kind: 'invalid', error: '"pull_request.head.sha" must be the head commit\'s 40-hex id' };
  const bad = branchNameProblem(headBranch) ?? branchNameProblem(baseBranch);
  if (bad) return { kind: 'invalid', error: `the pull request's head or base names no valid branch: ${bad}` };
  const repoOf = (side: Json) => (typeof side.repo_id === 'number' ? side.repo_id : obj(side.repo)?.id);
  const user = obj(pr.user) ?? obj(body.sender);
  return {
    kind: 'pull_request', action: building, number, headSha, headBranch, baseBranch,
    fromFork: repoOf(head) === undefined || repoOf(head) !== repoOf(base),
    author: text(user?.login) ?? text(user?.username) ?? 'unknown',
  };
}

function giteaClient(connection: ForgeConnection, fetchImpl: typeof fetch): ForgeClient {
  // Gitea takes its own `token` scheme (its description's AuthorizationHeaderToken); `Bearer` works only on newer versions.
  const headers = { authorization: `token ${connection.token ?? ""}`, accept: 'application/json' };
  return { postStatus: (status, signal) => postStatusJson(fetchImpl, statusUrl(connection, status.sha), headers, statusBody(status), signal) };
}

/** `{apiUrl}/repos/{owner}/{repo}/statuses/{sha}`, each part escaped. */
function statusUrl(connection: Pick<ForgeConnection, 'apiUrl' | 'owner' | 'repo'>, sha: string): string {
  const part = encodeURIComponent;
  return `${connection.apiUrl.replace(/\/+$/, '')}/repos/${part(connection.owner)}/${part(connection.repo)}/statuses/${part(sha)}`;
}

/** Gitea's `CreateStatusOption` (typed by gitea-js, generated from Gitea's swagger.v1.json). */
function statusBody(status: CommitStatus): Required<CreateStatusOption> {
  return { state: status.state, target_url: status.targetUrl, description: status.description, context: status.context };
}
