import type { Authenticator } from './auth.ts';
import type { RunStatus, ServerContext } from './context.ts';
import type { WebhookDelivery } from './forges/forge.ts';
import type { HookResult } from './hook.ts';
import type { ServerLimits } from './limits.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { RunnerBackend } from '../runner/protocol.ts';
import type { SharedCache } from './cache.ts';
import type { Terminals } from './terminals.ts';

/**
 * What the HTTP layer needs beyond the UI's ServerContext: recognising callers, the webhook
 * and the runner side. Implemented by `createServerCore` (service.ts).
 */
export interface ServerCore extends ServerContext {
  authenticator: Authenticator;
  /** A forge's webhook (`forge`: github, gitea): verifies the signature and queues runs; never throws for bad input (answers 4xx). */
  handleHook(forge: string, appName: string, delivery: WebhookDelivery): Promise<HookResult>;
  /** What a pipeline's badge shows for a branch (store/runs.ts pipelineBadgeState); the caller checks who may see it. */
  badgeState(appId: number, pipeline: string, branch: string): Promise<{ finished: RunStatus | undefined; active: boolean }>;
  /** A run's status alone (one row read; getRun also folds its step list), undefined when there is no such run. */
  runStatus(runId: number): Promise<RunStatus | undefined>;
  /** The runner side of the embedded runner (its claims carry no token). */
  runners: RunnerBackend;
  /** The runner side for a remote runner's token (/api/runner/*): its claims are bound to that token. */
  runnersFor(tokenId: number): RunnerBackend;
  /** Whether this runner token ever claimed the run (a report from one that never did gets 403). */
  tokenClaimed(runId: number, tokenId: number): Promise<boolean>;
  /** The shared caches of pipelines (cache.ts): runners through their claims, users read-only (`werker build --cache-from`). */
  sharedCache: SharedCache;
  /** What one request, wercker.yml or run may cost (limits.ts). */
  limits: ServerLimits;
  /** Believe X-Forwarded-Proto / X-Forwarded-For (`--trust-proxy`: only behind a proxy that sets them). */
  trustProxy: boolean;
  /** Failed sign-ins per account and address (login-throttle.ts). */
  loginThrottle: LoginThrottle;
  /** Terminals into failed boxes: tickets, checks, the hub pairing browsers with runners (terminals.ts). */
  terminals: Terminals;
}
