import type { Store } from '../../store/db.ts';
import { setForgeStatusError, type RunRow } from '../../store/runs.ts';
import { maskerFor } from '../mask-events.ts';
import type { RunChanges } from '../run-changes.ts';
import { connectionSecrets, ForgeRequestError, type CommitStatus, type ForgeConnection } from './forge.ts';
import { forgeOf } from './registry.ts';

/** How often and how patiently a status request is tried (bounded: a forge that is down costs seconds, never the run). */
export interface StatusRetry { attempts: number; firstDelayMs: number; maxDelayMs: number; /** one request's time limit */ timeoutMs: number }
export const DEFAULT_STATUS_RETRY: StatusRetry = { attempts: 5, firstDelayMs: 1000, maxDelayMs: 8000, timeoutMs: 10_000 };

export interface StatusReporterDeps {
  store: Store;
  changes: RunChanges;
  /** The server's public URL (run page links). */
  baseUrl(): string;
  forgeConnection(appId: number): Promise<ForgeConnection | undefined>;
  retry?: StatusRetry;
  fetchImpl?: typeof fetch;
}

/**
 * Commit statuses (src/server/README.md, forge routes): every change of a run that came from a
 * forge's webhook is posted back to that forge — pending when queued, pending "running" when a
 * runner took it, then success/failure/error — with the run page as the link and one context per
 * pipeline (`werker/build`), so a retry updates the same line on the commit. Requests for one
 * commit and context go out in order; an older one still retrying gives way to a newer one.
 * Returns the function that stops listening.
 */
export function startStatusReporter(deps: StatusReporterDeps): () => void {
  const lanes = new Map<string, { chain: Promise<void>; latest: number }>();
  let seq = 0;
  return deps.changes.on(async (run) => {
    if (!run.forge) return;
    const connection = await deps.forgeConnection(run.application_id);
    if (!connection || connection.kind !== run.forge) return;
    const status = statusOf(run, deps.baseUrl());
    const key = `${run.application_id} ${status.sha} ${status.context}`;
    const lane = lanes.get(key) ?? { chain: Promise.resolve(), latest: 0 };
    const mine = (lane.latest = ++seq);
    lane.chain = lane.chain.then(() => postWithRetry(deps, connection, run.id, status, () => lane.latest !== mine));
    lanes.set(key, lane);
    await lane.chain;
    if (lane.latest === mine) lanes.delete(key);
  });
}

/** The status a run's state shows on its commit. */
export function statusOf(run: Pick<RunRow, 'id' | 'status' | 'pipeline' | 'commit_sha' | 'duration_ms' | 'message' | 'untrusted'>, baseUrl: string): CommitStatus {
  const seconds = run.duration_ms === null ? '' : ` in ${Math.round(run.duration_ms / 1000)} s`;
  const untrusted = run.untrusted === 1 ? ' (fork: without protected variables)' : '';
  const [state, description] = ({
    queued: ['pending', `queued${untrusted}`],
    running: ['pending', `running${untrusted}`],
    passed: ['success', `passed${seconds}${untrusted}`],
    failed: ['failure', run.message ? `failed: ${run.message}` : `failed${seconds}`],
    cancelled: ['error', run.message ?? 'cancelled'],
  } as const)[run.status];
  return { sha: run.commit_sha, state, context: `werker/${run.pipeline}`, description, targetUrl: `${baseUrl}/runs/${run.id}` };
}

/** Posts one status, trying again with doubling delays while the forge times out or answers 5xx/429. */
async function postWithRetry(deps: StatusReporterDeps, connection: ForgeConnection, runId: number, status: CommitStatus, superseded: () => boolean): Promise<void> {
  const forge = forgeOf(connection.kind);
  if (!forge) return;
  const client = forge.client(connection, deps.fetchImpl);
  const retry = deps.retry ?? DEFAULT_STATUS_RETRY;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.postStatus(status, AbortSignal.timeout(retry.timeoutMs));
      await setForgeStatusError(deps.store, runId, null);
      return;
    } catch (err) {
      // A newer status for the same commit and context is waiting: this one no longer matters.
      if (superseded()) return;
      const final = !(err instanceof ForgeRequestError && err.retryable) || attempt >= retry.attempts;
      if (final) return recordFailure(deps.store, connection, runId, status, err as Error, attempt);
      await new Promise((r) => setTimeout(r, Math.min(retry.firstDelayMs * 2 ** (attempt - 1), retry.maxDelayMs)));
    }
  }
}

/** Stores and logs why a status did not reach the forge, the token and App key masked (a forge may echo them). */
async function recordFailure(store: Store, connection: ForgeConnection, runId: number, status: CommitStatus, err: Error, attempts: number): Promise<void> {
  const masked = maskerFor(connectionSecrets(connection).map((value) => ({ value, protected: true })));
  const text = masked.mask(`${new Date().toISOString()}: the ${status.state} status for ${status.context} was not posted after ${attempts} ${attempts === 1 ? 'try' : 'tries'}: ${err.message}`);
  process.stderr.write(`werker server: run ${runId}: ${text}\n`);
  await setForgeStatusError(store, runId, text);
}
