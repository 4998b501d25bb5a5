import { randomUUID } from 'node:crypto';
import { isoNow, type Store } from '../../store/db.ts';
import {
  claimForgeStatus, newerRunOnContext, oweForgeStatus, owedForgeStatusRunIds, releaseForgeStatuses, setForgeStatusError, settleForgeStatus, type RunRow,
} from '../../store/runs.ts';
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

/** Besides the retries' own time, how long a process holds a run's owed status before another may post it. */
const LEASE_MARGIN_MS = 30_000;

/** The commit status reporter: `start` takes up the statuses stopped or dead server processes left; `stop` ends it. */
export interface StatusReporter {
  /** Posts the owed statuses no process holds, at once and then every `intervalMs` (default 15 s). */
  start(intervalMs?: number): void;
  /** One sweep of `start`; returns how many runs' statuses it took up. */
  resume(): Promise<number>;
  /** Waits for the statuses being posted. */
  settled(): Promise<void>;
  /** Stops listening and sweeping, waits for posts in flight, and lets go of what is still owed. */
  stop(): Promise<void>;
}

/**
 * Commit statuses (src/server/README.md, forge routes): every change of a run that came from a
 * forge's webhook is posted back to that forge — pending when queued, pending "running" when a
 * runner took it, then success/failure/error — with the run page as the link and one context per
 * pipeline (`werker/build`), so a retry updates the same line on the commit. Requests for one
 * commit and context go out in order; an older one still retrying gives way to a newer one.
 *
 * What is owed survives the process: before posting, the run is marked as owing its state's status
 * under this process's lease (store/runs.ts `oweForgeStatus`), and the mark goes once the forge has
 * it or the retries gave up. A server that stops lets go of the marks; one that dies holds them
 * until the lease is over. `start` posts the current state of each run left owing one, claimed by
 * a compare-and-set on the lease (one process of several on PostgreSQL), unless a newer run of the
 * same commit and pipeline has taken its context over. A status says a state, so a repeat is harmless.
 */
export function startStatusReporter(deps: StatusReporterDeps): StatusReporter {
  return new CommitStatuses(deps);
}

class CommitStatuses implements StatusReporter {
  readonly #deps: StatusReporterDeps;
  readonly #retry: StatusRetry;
  /** This process's lease on the statuses it owes. */
  readonly #leaseId = randomUUID();
  /** One chain of requests per commit and context: in order, the newest winning. */
  readonly #lanes = new Map<string, { chain: Promise<void>; latest: number }>();
  readonly #pending = new Set<Promise<void>>();
  readonly #stopListening: () => void;
  #seq = 0;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: StatusReporterDeps) {
    this.#deps = deps;
    this.#retry = deps.retry ?? DEFAULT_STATUS_RETRY;
    this.#stopListening = deps.changes.on((run) => this.#onChange(run));
  }

  start(intervalMs = 15_000): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => this.#track(this.resume()), intervalMs);
    this.#timer.unref();
    this.#track(this.resume());
  }

  async resume(): Promise<number> {
    const { store } = this.#deps;
    let taken = 0;
    for (const id of await owedForgeStatusRunIds(store, isoNow())) {
      if (this.#stopped) break;
      const run = await claimForgeStatus(store, id, this.#leaseId, this.#leaseUntil(), isoNow());
      if (!run) continue;
      const connection = await this.#connectionFor(run);
      // No forge any more, or a newer run's status stands on this commit and context now: nothing to post.
      if (!connection || (await newerRunOnContext(store, run))) {
        await settleForgeStatus(store, run.id, run.forge_status_owed!);
        continue;
      }
      taken++;
      // The run's state now (it may have moved on since it was owed): the mark is settled for that state.
      if (run.forge_status_owed !== run.status) await oweForgeStatus(store, run.id, run.status, this.#leaseId, this.#leaseUntil());
      this.#track(this.#post(run, connection));
    }
    return taken;
  }

  async settled(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#stopListening();
    await this.settled();
    await Promise.allSettled([...this.#lanes.values()].map((l) => l.chain));
    await releaseForgeStatuses(this.#deps.store, this.#leaseId);
  }

  async #onChange(run: RunRow): Promise<void> {
    if (this.#stopped) return;
    const connection = await this.#connectionFor(run);
    if (!connection) return;
    await oweForgeStatus(this.#deps.store, run.id, run.status, this.#leaseId, this.#leaseUntil());
    await this.#post(run, connection);
  }

  /** Posts the status of `run`'s state in its commit and context's lane; resolves when the lane got that far. */
  async #post(run: RunRow, connection: ForgeConnection): Promise<void> {
    const status = statusOf(run, this.#deps.baseUrl());
    const key = `${run.application_id} ${status.sha} ${status.context}`;
    const lane = this.#lanes.get(key) ?? { chain: Promise.resolve(), latest: 0 };
    const mine = (lane.latest = ++this.#seq);
    // Settled once posted, given up, or given way to a newer status of the same commit and context (which this lane posts).
    lane.chain = lane.chain.then(async () => {
      await postWithRetry(this.#deps, connection, run.id, status, () => lane.latest !== mine);
      await settleForgeStatus(this.#deps.store, run.id, run.status);
    });
    this.#lanes.set(key, lane);
    await lane.chain;
    if (lane.latest === mine) this.#lanes.delete(key);
  }

  async #connectionFor(run: RunRow): Promise<ForgeConnection | undefined> {
    if (!run.forge) return undefined;
    const connection = await this.#deps.forgeConnection(run.application_id);
    return connection && connection.kind === run.forge ? connection : undefined;
  }

  #leaseUntil(): string {
    return isoNow(retryBudgetMs(this.#retry) + LEASE_MARGIN_MS);
  }

  #track(p: Promise<unknown>): void {
    const tracked: Promise<void> = p.then(() => undefined, (err: Error) => {
      process.stderr.write(`werker server: a commit status failed: ${err.message}\n`);
    }).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}

/** The longest all attempts of one status may take: each attempt's time limit and the waits between them. */
function retryBudgetMs(r: StatusRetry): number {
  let total = r.attempts * r.timeoutMs;
  for (let attempt = 1; attempt < r.attempts; attempt++) total += Math.min(r.firstDelayMs * 2 ** (attempt - 1), r.maxDelayMs);
  return total;
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
