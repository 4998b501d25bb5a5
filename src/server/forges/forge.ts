/**
 * The one small interface every forge (GitHub, Gitea/Forgejo) is reached through: its webhooks
 * come in (verified, then turned into a `ForgeEvent`), commit statuses go out. The server's
 * hook route and the status reporter know only this file; each forge is one module beside it.
 */

/** The forges werker speaks to. */
export type ForgeKind = 'github' | 'gitea';
export const FORGE_KINDS: readonly ForgeKind[] = ['github', 'gitea'];

/** Reads one request header by its lower-case name. */
export type HeaderReader = (name: string) => string | undefined;

/** One webhook request as it arrived: the raw body (unparsed until verified) and its headers. */
export interface WebhookDelivery {
  rawBody: Buffer;
  header: HeaderReader;
}

/** The pull request actions that build: a new PR, new commits on it, a PR opened again. */
export type PullRequestAction = 'opened' | 'synchronize' | 'reopened';
export const PULL_REQUEST_ACTIONS: readonly PullRequestAction[] = ['opened', 'synchronize', 'reopened'];

/** A delivery in the forge's own words, reduced to what the server acts on. */
export type ForgeEvent =
  | { kind: 'ping' }
  /** `commit` is the pushed 40-hex id; `deleted` for a branch deletion (nothing to build). */
  | { kind: 'push'; branch: string; commit: string; deleted: boolean; pusher?: string }
  | {
      kind: 'pull_request';
      action: PullRequestAction;
      number: number;
      headSha: string;
      headBranch: string;
      baseBranch: string;
      /** The head commit lives in another repository (a fork): its runs get no protected variables unless approved. */
      fromFork: boolean;
      author: string;
    }
  /** A delivery the server understands but acts on with nothing (a tag push, a closed PR, an unknown event): 202. */
  | { kind: 'ignored'; reason: string }
  /** A verified delivery whose body is not what its event header promised: 400 with `error`. */
  | { kind: 'invalid'; error: string };

/** How a forge's webhooks are read. Every method is pure (no I/O besides the secret given). */
export interface ForgeWebhooks {
  /** The header a missing or wrong signature is reported by (for the 401 message). */
  readonly signatureHeader: string;
  /**
   * Whether the delivery is signed with `secret` (HMAC of the raw body, constant-time compare).
   * Called before anything in the body is parsed; false for a missing or malformed signature.
   */
  verify(secret: string, delivery: WebhookDelivery): Promise<boolean>;
  /** The forge's id of this delivery (replays carry the same), if it sends one. */
  deliveryId(delivery: WebhookDelivery): string | undefined;
  /** The verified delivery as a `ForgeEvent`; never throws. */
  parse(delivery: WebhookDelivery): ForgeEvent;
}

/** A commit status's state as forges store it (werker's queued/running are both `pending`). */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

/** One commit status to post: one `context` per pipeline (`werker/build`), updated in place. */
export interface CommitStatus {
  sha: string;
  state: CommitState;
  context: string;
  description: string;
  /** The run page (absolute URL). */
  targetUrl: string;
}

/** Where an application's repository lives on its forge, and the credentials to post statuses. */
export interface ForgeConnection {
  kind: ForgeKind;
  /** The forge's REST API root without trailing slash (`https://api.github.com`, `https://gitea.example/api/v1`). */
  apiUrl: string;
  owner: string;
  repo: string;
  /** A token allowed to write commit statuses (a secret: never returned, masked everywhere); absent when a GitHub App posts. */
  token?: string;
  /** GitHub only: an App installed on the repository; preferred over `token` when both are set. */
  githubApp?: GitHubAppCredentials;
}

/** A GitHub App's credentials: traded for short-lived installation tokens (github-app.ts). */
export interface GitHubAppCredentials {
  /** The App's numeric id (the JWT's issuer). */
  appId: string;
  /** The numeric id of the App's installation on the repository's owner. */
  installationId: string;
  /** The App's private key (PEM, RSA): a secret like the token. */
  privateKey: string;
}

/** The secrets of a connection, for masking anything a forge echoes. */
export function connectionSecrets(c: ForgeConnection): string[] {
  return [c.token, c.githubApp?.privateKey].filter((s): s is string => Boolean(s));
}

/** A failed status request: `retryable` for timeouts, network errors, 429 and 5xx (tried again with backoff). */
export class ForgeRequestError extends Error {
  constructor(message: string, readonly retryable: boolean, readonly status?: number) {
    super(message);
    this.name = 'ForgeRequestError';
  }
}

/** The forge's REST side for one connection. */
export interface ForgeClient {
  /** Posts (creates or updates, by context) a commit status; throws `ForgeRequestError`. */
  postStatus(status: CommitStatus, signal?: AbortSignal): Promise<void>;
}

/** A forge: its webhooks, and a client for a connection. */
export interface Forge {
  readonly kind: ForgeKind;
  /** The default API root (`https://api.github.com`); self-hosted forges have none. */
  readonly defaultApiUrl?: string;
  readonly webhooks: ForgeWebhooks;
  client(connection: ForgeConnection, fetchImpl?: typeof fetch): ForgeClient;
}
