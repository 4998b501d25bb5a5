import type { Authenticator } from './auth.ts';
import type { RunStatus, ServerContext } from './context.ts';
import type { ServerLimits } from './limits.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { RunnerBackend } from '../runner/protocol.ts';
import type { Terminals } from './terminals.ts';

/**
 * What the HTTP layer needs beyond the UI's ServerContext: recognising callers, the webhook
 * and the runner side. Implemented by `createServerCore` (service.ts).
 */
export interface ServerCore extends ServerContext {
  authenticator: Authenticator;
  /** Verifies the signature and queues runs; never throws for bad input (answers 4xx). */
  handlePushHook(appName: string, rawBody: Buffer, headers: { signature?: string; event?: string; delivery?: string }): Promise<{ status: 200 | 202 | 400 | 401 | 404; body: Record<string, unknown> }>;
  /** A run's status alone (one row read; getRun also folds its step list), undefined when there is no such run. */
  runStatus(runId: number): Promise<RunStatus | undefined>;
  /** The runner side of the embedded runner (its claims carry no token). */
  runners: RunnerBackend;
  /** The runner side for a remote runner's token (/api/runner/*): its claims are bound to that token. */
  runnersFor(tokenId: number): RunnerBackend;
  /** Whether this runner token ever claimed the run (a report from one that never did gets 403). */
  tokenClaimed(runId: number, tokenId: number): Promise<boolean>;
  /** What one request, wercker.yml or run may cost (limits.ts). */
  limits: ServerLimits;
  /** Believe X-Forwarded-Proto / X-Forwarded-For (`--trust-proxy`: only behind a proxy that sets them). */
  trustProxy: boolean;
  /** Failed sign-ins per account and address (login-throttle.ts). */
  loginThrottle: LoginThrottle;
  /** Terminals into failed boxes: tickets, checks, the hub pairing browsers with runners (terminals.ts). */
  terminals: Terminals;
}
