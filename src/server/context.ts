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
  /**
   * Makes the application private (its badges answer 404 to visitors, as for one that does not
   * exist) or public again. Its maintainers and admins only (else 403).
   */
  setApplicationPrivate(appId: number, isPrivate: boolean, by: User): Promise<Application>;
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

  // ── notifications ───────────────────────────────────────────────────────────────────────────
  /** Who hears about the application's finished runs, and how (notifications/): its maintainers and admins only. */
  notifications: NotificationSettings;

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

  // ── schedules ───────────────────────────────────────────────────────────────────────────────
  /** Cron schedules that queue runs (schedules.ts). */
  schedules: ScheduleContext;
  /**
   * Admins only: lets an untrusted run (a fork's pull request, which ran without protected
   * variables) run again with them: queues a new run of the same pipeline and commit, trusted,
   * recording who approved. 409 when the run is not an untrusted one.
   */
  approveRun(runId: number, by: User): Promise<Run>;

  // ── forge (commit statuses, pull requests) ──────────────────────────────────────────────────
  /** The application's forge settings; the token never comes back (`tokenSet` says whether one is stored). */
  getForgeSettings(appId: number): Promise<ForgeSettings>;
  /**
   * Maintainers and admins: sets the forge (kind, API root, repository, token) and the pipeline
   * pull requests run. A token left out or empty keeps the stored one; `clearToken` removes it.
   * Throws `InputError` naming the field.
   */
  setForgeSettings(appId: number, input: ForgeSettingsInput, by: User): Promise<ForgeSettings>;

  // ── users and tokens ────────────────────────────────────────────────────────────────────────
  auth: ServerAuth;
}

/** Where an application's repository lives, for commit statuses (forges/settings.ts). */
export interface ForgeSettings {
  /** null: no forge, so no statuses are posted. */
  kind: 'github' | 'gitea' | null;
  apiUrl: string | null;
  owner: string | null;
  repo: string | null;
  /** Whether a token is stored (it is write-only, like a protected variable). */
  tokenSet: boolean;
  /** What a pull request runs: a pipeline name, or `workflow:NAME` (default `build`). */
  pullRequestPipeline: string;
  /** GitHub App credentials (used instead of the token when all three are set): the ids, and whether the key is stored (write-only). */
  appId: string | null;
  installationId: string | null;
  privateKeySet: boolean;
}

export interface ForgeSettingsInput {
  /** '' or null: no forge. */
  kind?: string | null;
  apiUrl?: string;
  /** `owner/name`, or owner and repo apart. */
  repository?: string;
  owner?: string;
  repo?: string;
  token?: string;
  clearToken?: boolean;
  pullRequestPipeline?: string;
  /** GitHub App: its id, the installation's id, its private key (PEM); left out or empty keeps the stored one. */
  appId?: string;
  installationId?: string;
  privateKey?: string;
  /** Removes the App id, installation id and key. */
  clearApp?: boolean;
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
  /** Visitors (not signed in) can't see it, not even its badges; set by its maintainers. */
  private: boolean;
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

/** When a rule speaks: every failed run, a pass after a failure (same pipeline and branch), every finished run. */
export type NotifyWhen = 'failure' | 'recovery' | 'always';
export type NotifyChannel = 'webhook' | 'slack' | 'email';

export interface NotificationSettings {
  /** Whether the server has SMTP settings (`werker server --smtp-host …`): without them email rules are refused. */
  readonly emailEnabled: boolean;
  /** The application's rules, secrets left out (403 for users who don't manage it). */
  list(appId: number, by: User): Promise<NotificationRule[]>;
  /**
   * Adds a rule (403 for users who don't manage the application; `InputError` for bad input). A
   * webhook rule without `secret` gets one made here: `signingSecret` carries it this once.
   */
  create(appId: number, input: NewNotificationRule, by: User): Promise<{ rule: NotificationRule; signingSecret?: string }>;
  delete(appId: number, ruleId: number, by: User): Promise<void>;
}

export interface NotificationRule {
  id: number;
  when: NotifyWhen;
  /** Empty: every pipeline. */
  pipelines: string[];
  /** Empty: every branch; `*` matches any run of characters (`release/*`). */
  branches: string[];
  channel: NotifyChannel;
  /** Where it goes without its secret parts: a URL's scheme and host only (a Slack hook's path is its secret); an email rule's recipients. */
  target: string;
  createdBy: string;
  createdAt: string;
  lastDelivery: NotificationDelivery | null;
}

export interface NotificationDelivery {
  runId: number;
  /** 'sending': still trying (retries with backoff); then 'delivered' or 'failed'. */
  status: 'sending' | 'delivered' | 'failed';
  attempts: number;
  /** What happened, one line (an HTTP status, an SMTP answer, a network error); never a response body. */
  detail: string;
  at: string;
}

export interface NewNotificationRule {
  when: NotifyWhen;
  channel: NotifyChannel;
  /** Names (or `*` patterns for branches); empty or missing: all. */
  pipelines?: string[];
  branches?: string[];
  /** webhook, slack: the http(s) URL to POST to. */
  url?: string;
  /** email: the addresses. */
  recipients?: string[];
  /** webhook: the signing secret (at least 16 characters); made by the server when missing. */
  secret?: string;
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
  /** What started it: 'webhook', 'ui', 'api', 'cli', 'retry', 'workflow', 'schedule'. */
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
  /** The pull request a forge's webhook queued it for (null: none). */
  pullRequest?: number | null;
  /** A fork's pull request not approved: it runs without protected variables and private keys. */
  untrusted?: boolean;
  /** The admin who approved this (once untrusted) run, and when. */
  approvedBy?: string | null;
  approvedAt?: string | null;
  /** The last commit status request to the forge that failed, and why (null once one succeeded). */
  forgeStatusError?: string | null;
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
  /** Set by a forge's webhook only (never from a request body): where the commit came from, and whether it is trusted. */
  origin?: RunOrigin;
}

/** A forge webhook's run: the forge statuses go back to, the pull request, and trust (a fork's PR: untrusted). */
export interface RunOrigin {
  forge: string;
  pullRequest?: number;
  untrusted?: boolean;
}

/**
 * Schedules as the API and the UI see them (ServerContext.schedules; schedules.ts keeps them).
 * Times are ISO-8601 text in UTC; `timeZone` is the IANA zone the expression is read in.
 */
export interface Schedule {
  id: number;
  applicationId: number;
  /** Unique in the application; runs it queues say `schedule NAME` as who triggered them. */
  name: string;
  /** Five cron fields or a keyword (@daily…), as written. */
  expression: string;
  timeZone: string;
  /** A pipeline name, or `workflow:NAME` (as the Run buttons name them). */
  pipeline: string;
  branch: string;
  enabled: boolean;
  /** The next occurrence; null while disabled. */
  nextRunAt: string | null;
  /** The last occurrence a server claimed, and the run it queued (null when it could not queue one: `lastError` says why). */
  lastOccurrenceAt: string | null;
  lastRun: { id: number; status: RunStatus | null } | null;
  lastError: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface ScheduleInput {
  name: string;
  expression: string;
  pipeline: string;
  /** Default: the application's default branch. */
  branch?: string;
  /** An IANA name (Europe/Berlin); default UTC. */
  timeZone?: string;
  /** Default true. */
  enabled?: boolean;
}

/**
 * An application's schedules: every user lists them; its maintainers and admins add, change and
 * delete them (policy.ts). A bad expression or time zone throws `CronSyntaxError` / `InputError` (400).
 */
export interface ScheduleContext {
  list(appId: number): Promise<Schedule[]>;
  get(appId: number, scheduleId: number): Promise<Schedule>;
  create(appId: number, input: ScheduleInput, by: User): Promise<Schedule>;
  /** Changes the fields given; the next occurrence is computed anew from now. */
  update(appId: number, scheduleId: number, input: Partial<ScheduleInput>, by: User): Promise<Schedule>;
  remove(appId: number, scheduleId: number, by: User): Promise<void>;
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
