import type { RunEvent } from '../engine/events.ts';

/**
 * The contract between the server's core (store, queue, runners, API, webhooks) and its web UI
 * (src/server/ui/). UI routes get a `ServerContext` and never touch the database themselves, so
 * every rule (protected values are write-only, a run's events are masked, who may do what) is
 * enforced in one place. Ids are integers; times are ISO-8601 text.
 */
export interface ServerContext {
  /**
   * The URL users, runners and webhooks reach the server at, without a trailing slash: the
   * `--base-url` value (for a server behind a reverse proxy), else the address it listens on.
   * Build links to the server with it, not with the request's URL (a proxy may rewrite the host).
   */
  readonly baseUrl: string;
  /**
   * `--terminal-minutes`: how long a runner keeps a failed step's box for terminals from the
   * run's page (0: the server offers none). Whether a user may open one: canManageApplication.
   */
  readonly terminalMinutes: number;

  // ── applications ────────────────────────────────────────────────────────────────────────────
  /** Every application, by name. */
  listApplications(): Promise<Application[]>;
  /** One application by numeric id or by name; undefined when there is none. */
  getApplication(idOrName: number | string): Promise<Application | undefined>;
  /**
   * Registers an application: a git URL or an absolute path to a local repository. The server
   * mirrors it (fetch) to check it is reachable; throws `InputError` with a readable message
   * (bad name, name taken, repository unreachable). A webhook secret is generated.
   */
  createApplication(input: NewApplication, by: User): Promise<Application>;
  /** Deletes the application with its variables, key pairs and runs. */
  deleteApplication(appId: number, by: User): Promise<void>;
  /**
   * The pipelines and workflows named in the repository's wercker.yml at `ref` (default: the
   * application's default branch), read from the server's mirror. `problem` says why none
   * could be read (no wercker.yml, invalid yml, unknown branch).
   */
  listPipelines(appId: number, ref?: string): Promise<PipelineList>;
  /** The webhook secret, for the application's settings page: its maintainers and admins only (else 403). */
  getWebhookSecret(appId: number, by: User): Promise<string>;
  /**
   * Whether `user` manages the application: an admin, or a member made its maintainer (by
   * creating it, or by an admin). Managing = variables, key pairs, webhook secret, deletion.
   * The UI shows those forms only when this is true; the core refuses them (403) otherwise.
   */
  canManageApplication(appId: number, user: User): Promise<boolean>;
  /** The application's maintainers (members who manage it; admins manage every application). */
  listMaintainers(appId: number): Promise<Pick<User, 'id' | 'name'>[]>;
  /** Admins only: makes the member `userName` a maintainer of the application. */
  addMaintainer(appId: number, userName: string, by: User): Promise<void>;
  /** Admins only. */
  removeMaintainer(appId: number, userId: number, by: User): Promise<void>;

  // ── variables ───────────────────────────────────────────────────────────────────────────────
  /**
   * The application's variables; `pipeline` undefined lists all (app-wide ones have
   * `pipeline: null`). A protected variable comes back with `value: null`, always.
   */
  listVariables(appId: number): Promise<Variable[]>;
  /**
   * Creates or replaces the variable (application, pipeline, name). Names are shell names
   * (`[A-Za-z_][A-Za-z0-9_]*`). A protected variable can't be made unprotected again (delete it
   * instead); its value is write-only and masked in every log. Throws `InputError`.
   */
  setVariable(appId: number, input: NewVariable, by: User): Promise<Variable>;
  deleteVariable(appId: number, variableId: number, by: User): Promise<void>;

  // ── SSH key pairs ───────────────────────────────────────────────────────────────────────────
  /** Key pairs with their public half (OpenSSH `ssh-ed25519 AAAA… werker-NAME`); never the private half. */
  listKeyPairs(appId: number): Promise<KeyPair[]>;
  /**
   * Generates an ed25519 key pair on the server. Pipelines get `<NAME>_PUBLIC` and
   * `<NAME>_PRIVATE` (protected, masked). `name` is a shell name, upper-cased. Throws `InputError`.
   */
  createKeyPair(appId: number, name: string, by: User): Promise<KeyPair>;
  deleteKeyPair(appId: number, keyPairId: number, by: User): Promise<void>;

  // ── runs ────────────────────────────────────────────────────────────────────────────────────
  /** History, newest first. Paging: pass the last run's id of a page as `before`. */
  listRuns(query: RunQuery): Promise<RunPage>;
  /** One run with its step list (from the latest attempt's events); undefined when there is none. */
  getRun(runId: number): Promise<RunDetail | undefined>;
  /**
   * A run's stored events with seq > `afterSeq` (0 = from the start), in order, at most `limit`
   * (default 1000). Output text in them is already masked.
   */
  listRunEvents(runId: number, afterSeq?: number, limit?: number): Promise<RunEvent[]>;
  /**
   * Calls `onEvent` for each event appended to the run from now on (in this server process),
   * until the returned function is called. For live pages: replay with listRunEvents first,
   * then follow (the SSE route does exactly this; prefer using it from the browser).
   */
  followRun(runId: number, onEvent: (event: RunEvent) => void): () => void;
  /**
   * Queues a run of `pipeline` (a pipeline name, or `workflow:NAME` to start that workflow) on
   * `branch` (default: the application's default branch) at its current commit, or at `commit`.
   * Returns the queued run (the workflow's first run). Throws `InputError` (unknown branch…).
   */
  triggerRun(appId: number, pipeline: string, options: TriggerOptions, by: User | string): Promise<Run>;
  /** Cancels a queued run at once, a running one through its runner (a few seconds). No-op when finished. */
  cancelRun(runId: number, by: User): Promise<Run>;
  /**
   * Queues a new run of the same application, pipeline, branch and commit. `fromStep` ("Retry
   * from this step", a failed run's failed step): the new run resumes from that step in the
   * snapshot the run left on its runner, queued for that runner; without a snapshot it runs from
   * the start, and its log says why (docs/wercker-compat.md §8.4, werker's own).
   */
  retryRun(runId: number, by: User, options?: { fromStep?: string }): Promise<Run>;

  // ── users and tokens ────────────────────────────────────────────────────────────────────────
  auth: ServerAuth;
}

export interface ServerAuth {
  /**
   * Checks a user's password and opens a browser session. Undefined for a wrong name or
   * password (the caller shows one message for both). Put the session in the response with
   * `setSessionCookie(c, session)` from src/server/auth.ts.
   */
  login(username: string, password: string): Promise<Session | undefined>;
  /** Ends the session (by its cookie token); clear the cookie with `clearSessionCookie(c)`. */
  logout(sessionToken: string): Promise<void>;
  /**
   * Creates a user (name: letters, digits, `-_.`; password ≥ 8 chars). The first user is the
   * admin; later ones are members unless `role: 'admin'`. With `by` (a request), only an admin
   * may create users (403); without it the caller is the server's operator (`werker server
   * --create-user`). Throws `InputError`.
   */
  createUser(username: string, password: string, options?: { role?: Role; by?: User }): Promise<User>;
  /** Admins only: every user, with whether they are disabled. */
  listUsers(by: User): Promise<UserInfo[]>;
  /**
   * Admins only: changes a user's role, or disables (ends their sessions; their tokens stop
   * working) or enables them. The last enabled admin can be neither demoted nor disabled.
   */
  updateUser(userId: number, changes: { role?: Role; disabled?: boolean }, by: User): Promise<UserInfo>;
  /** How many users exist (the login page may say how to create the first). */
  countUsers(): Promise<number>;
  /**
   * A new API token: `kind: 'user'` acts as `user` on /api/*; `kind: 'runner'` may only take and
   * report jobs (/api/runner/*). The token text is returned once and stored hashed. Only a
   * signed-in session makes tokens (`via: 'token'` is refused, 403: a token can't mint tokens),
   * and only an admin makes runner tokens. Without `user` the caller is the server's operator.
   */
  createToken(kind: 'user' | 'runner', name: string, user?: User, via?: 'session' | 'token'): Promise<{ token: string; info: TokenInfo }>;
  /** The user's own tokens; an admin also sees every runner token. */
  listTokens(user: User): Promise<TokenInfo[]>;
  /**
   * Revokes one of the user's own tokens (an admin: any token). A revoked runner token's claims
   * end at once: the reaper gives their runs back to the queue.
   */
  revokeToken(tokenId: number, user: User): Promise<void>;
}

/** `admin`: users, runner tokens, server settings and every application; `member`: uses applications. */
export type Role = 'admin' | 'member';

export interface User {
  id: number;
  name: string;
  role: Role;
  createdAt: string;
}

export interface UserInfo extends User {
  disabled: boolean;
}

export interface Session {
  /** The secret cookie value (stored hashed on the server). */
  token: string;
  user: User;
  /** Per-session CSRF token: send as form field `_csrf` or header `x-csrf-token`. */
  csrfToken: string;
  expiresAt: string;
}

export interface TokenInfo {
  id: number;
  kind: 'user' | 'runner';
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface Application {
  id: number;
  name: string;
  /** A git URL or an absolute local path. */
  repository: string;
  defaultBranch: string;
  /** The workflow a push starts (`workflows:` name in wercker.yml); null: the `build` pipeline. */
  workflow: string | null;
  createdAt: string;
}

export interface NewApplication {
  name: string;
  repository: string;
  /** Default: the repository's HEAD branch. */
  defaultBranch?: string;
  workflow?: string | null;
}

export interface PipelineList {
  ref: string;
  commit: string | null;
  pipelines: string[];
  workflows: { name: string; pipelines: { name: string; pipelineName: string; requires: string[] }[] }[];
  problem?: string;
}

export interface Variable {
  id: number;
  /** null: for every pipeline of the application. */
  pipeline: string | null;
  name: string;
  /** null when protected (write-only). */
  value: string | null;
  protected: boolean;
  updatedAt: string;
}

export interface NewVariable {
  name: string;
  value: string;
  protected?: boolean;
  /** null/undefined/'' : for every pipeline. */
  pipeline?: string | null;
}

export interface KeyPair {
  id: number;
  name: string;
  /** OpenSSH one-line public key. */
  publicKey: string;
  /** SHA256 fingerprint as ssh-keygen prints it. */
  fingerprint: string;
  createdAt: string;
}

export type RunStatus = 'queued' | 'running' | 'passed' | 'failed' | 'cancelled';
export const FINAL_STATUSES: readonly RunStatus[] = ['passed', 'failed', 'cancelled'];

export interface Run {
  id: number;
  applicationId: number;
  applicationName: string;
  pipeline: string;
  kind: 'build' | 'deploy';
  branch: string;
  commit: string;
  status: RunStatus;
  /** What started it: 'webhook', 'ui', 'api', 'cli', 'retry', 'workflow'. */
  trigger: string;
  triggeredBy: string;
  /** Workflow name when part of one; the workflow's runs share `workflowRunId` (its first run). */
  workflow: string | null;
  workflowRunId: number | null;
  /** The run whose output this one starts from (a deploy after its build). */
  sourceRunId: number | null;
  retryOf: number | null;
  /** 1 for the first claim; more when a runner died and the run was requeued. */
  attempt: number;
  runner: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** Why it failed or was cancelled, one line. */
  message: string | null;
  cancelRequested: boolean;
  /** When the retention sweep (`--keep-outputs`) deleted the run's output: a deploy from it can't start. */
  outputRemovedAt?: string | null;
  /** A failed run left a snapshot of its box at this step on its runner: "Retry from this step" resumes there. */
  snapshotStep?: string | null;
}

export interface RunStep {
  phase: 'setup' | 'main' | 'after';
  step: number;
  name: string;
  status: 'running' | 'passed' | 'failed';
  startedAt: string;
  durationMs: number | null;
  exitCode: number | null;
  /** seq of its step.started event: output events of this step follow it. */
  startSeq: number;
}

export interface RunDetail extends Run {
  steps: RunStep[];
  /** seq of the last stored event (for the live log's starting point). */
  lastSeq: number;
}

export interface RunQuery {
  appId?: number;
  /** Runs with id < before. */
  before?: number;
  /** Default 25, at most 100. */
  limit?: number;
  status?: RunStatus;
}

export interface RunPage {
  runs: Run[];
  /** Pass as `before` for the next page; null on the last. */
  nextBefore: number | null;
}

export interface TriggerOptions {
  branch?: string;
  commit?: string;
  trigger?: string;
}

/** The Hono environment of every route: what the auth middleware put in `c.var`. */
export type ServerEnv = {
  Variables: {
    /** The signed-in user. Set on every route except the public ones (see PUBLIC_ROUTES in auth.ts). */
    user: User;
    /** The session's CSRF token ('' when the request came with a bearer token). Put it in every form as `_csrf`. */
    csrfToken: string;
    /** How the request was authenticated. */
    authMethod: 'session' | 'token' | 'runner' | 'none';
    /** The session cookie's token (session auth only), for logout. */
    sessionToken: string;
    /** Runner tokens only: the token's id. */
    runnerTokenId: number;
    /** The browser reached the server over https (transport.ts): cookies get `Secure`. */
    secureTransport: boolean;
  };
};

/** A problem with what the user asked for (HTTP 400/403/404/409 with this message). */
export class InputError extends Error {
  constructor(message: string, readonly status: 400 | 403 | 404 | 409 = 400) {
    super(message);
  }
}
