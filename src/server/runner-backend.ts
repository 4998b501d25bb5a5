import path from 'node:path';
import { isoNow, type Store } from '../store/db.ts';
import { claimNextRun, extendLease } from '../store/queue.ts';
import { getRunRow, type RunRow } from '../store/runs.ts';
import { requireApplication } from './applications.ts';
import { maskerFor } from './mask-events.ts';
import { finalEvent, type RunRecorder } from './run-events.ts';
import { openOutput, receiveOutput } from './run-outputs.ts';
import type { RunChanges } from './run-changes.ts';
import type { RunQueue } from './run-queue.ts';
import type { CacheBlob, CacheCheck, CachePut, Job, RunnerBackend, RunnerEvent, RunnerFinish, SharedCacheFound } from '../runner/protocol.ts';
import { keyOf, type SharedCache } from './cache.ts';
import type { TerminalChannel, TerminalRequest } from '../runner/terminal-protocol.ts';
import { POLL_WAIT_MS } from './terminal-hub.ts';
import type { Terminals } from './terminals.ts';
import { jobVariables, trustedVariables, untrustedNotice } from './variables.ts';
import type { Workflows } from './workflows.ts';

export interface RunnerSideOptions {
  dataDir: string;
  /** How long a claim lasts without a heartbeat. */
  leaseMs: number;
  /** Read at each claim: the server learns it once it listens (service.ts setBaseUrl). */
  baseUrl: string;
}

/** What the runner side works with: the store, the recorder and queue of runs, and the workflows to advance. */
export interface RunnerSideDeps { store: Store; workflows: Workflows; recorder: RunRecorder; queue: RunQueue; changes: RunChanges; cache: SharedCache; terminals: Terminals; options: RunnerSideOptions }

/**
 * The runner side of the queue for one caller: `tokenId` is the runner token of a remote runner
 * (null for the embedded runner in this process). A claim is bound to the token and lease that
 * made it: every report is taken only while the run is running under that claim.
 */
export class RunnerSide implements RunnerBackend {
  constructor(private readonly deps: RunnerSideDeps, private readonly tokenId: number | null) {}

  async claim(runner: string): Promise<Job | undefined> {
    const { store, recorder, options } = this.deps;
    const row = await claimNextRun(store, runner, options.leaseMs, this.tokenId);
    if (!row) return undefined;
    this.deps.changes.emit(row, 'queued');
    const lease = row.lease_id!;
    const app = await requireApplication(store, row.application_id);
    const all = await jobVariables(store, row.application_id, row.pipeline);
    // Masking covers every protected value, also those an untrusted run is not given.
    recorder.remember(row.id, maskerFor(all));
    const variables = trustedVariables(row, all);
    await recorder.record(row.id, [{ type: 'log', level: 'info', text: `runner ${runner} took the run (attempt ${row.attempt})` }, ...untrustedNotice(row)], this.#holds(lease));
    return {
      runId: row.id, attempt: row.attempt, lease, leaseMs: options.leaseMs, application: { id: app.id, name: app.name, repository: app.repository },
      pipeline: row.pipeline, kind: row.kind, branch: row.branch, commit: row.commit_sha, variables, sourceRunId: row.source_run_id, baseUrl: options.baseUrl, ...this.deps.workflows.jobFields(row),
      cache: { write: !this.deps.cache.readOnlyReason(row) },
      ...(this.deps.terminals.windowMs ? { terminalMs: this.deps.terminals.windowMs } : {}), ...resumeField(row),
    };
  }

  async heartbeat(runId: number, lease: string): Promise<{ cancel: boolean } | undefined> {
    const r = await extendLease(this.deps.store, runId, lease, this.tokenId, this.deps.options.leaseMs);
    return r && { cancel: r.cancelRequested };
  }

  async appendEvents(runId: number, lease: string, events: RunnerEvent[]): Promise<boolean> {
    // run.finished comes with finish(), together with the status, so the two never disagree.
    const bodies = events.filter((e) => e && typeof e.type === 'string' && e.type !== 'run.finished');
    return Boolean(await this.deps.recorder.record(runId, bodies, this.#holds(lease)));
  }

  async finish(runId: number, lease: string, result: RunnerFinish): Promise<boolean> {
    const status = result.status === 'passed' || result.status === 'cancelled' ? result.status : 'failed';
    const durationMs = Number(result.durationMs) || 0;
    const done = await this.deps.recorder.record(runId, [finalEvent(status, durationMs, result.error)], this.#holds(lease), (r) => ({
      status, finished_at: isoNow(), duration_ms: durationMs, lease_until: null, lease_id: null,
      snapshot_step: status === 'failed' && typeof result.snapshotStep === 'string' ? result.snapshotStep.slice(0, 300) : null,
      message: status === 'passed' ? null : (r.message ?? result.message ?? result.error?.message ?? null),
    }));
    if (!done) return false;
    this.deps.recorder.forget(runId);
    await this.deps.workflows.advance(done).catch((err: Error) => process.stderr.write(`werker server: workflow after run ${runId}: ${err.message}; its next runs were not queued (start them from the application page)\n`));
    return true;
  }

  async putOutput(runId: number, lease: string, tar: ReadableStream<Uint8Array>): Promise<boolean> {
    if (!(await this.#held(runId, lease))) return false;
    // Still this claim's run once the upload is in: only then does it become the run's output.
    const outputs = path.join(this.deps.options.dataDir, 'outputs');
    return receiveOutput(this.deps.store, outputs, runId, lease, tar, async () => Boolean(await this.#held(runId, lease)));
  }

  async release(runId: number, lease: string, reason: string): Promise<boolean> {
    const row = await this.#held(runId, lease);
    if (!row) return false;
    this.deps.recorder.forget(runId);
    return releaseRun(this.deps, row, String(reason || 'the runner stopped').slice(0, 300), this.#holds(lease));
  }

  async sourceOutput(runId: number, lease: string, from?: number): Promise<ReadableStream<Uint8Array> | undefined> {
    const row = await this.#held(runId, lease);
    // Only for the claim working on the run, and only its own inputs: a runner token is not a key to every output.
    const sourceId = row ? this.deps.workflows.sourceRunOf(row, from) : null;
    const source = sourceId ? await getRunRow(this.deps.store, sourceId) : undefined;
    return openOutput(source);
  }

  async getCache(runId: number, lease: string): Promise<{ found: SharedCacheFound; tar: ReadableStream<Uint8Array> } | undefined> {
    // Same guard as outputs: only the claim working on the run reads its application's cache.
    const row = await this.#held(runId, lease);
    if (!row) return undefined;
    const app = await requireApplication(this.deps.store, row.application_id);
    const found = await this.deps.cache.find(keyOf(row), app.default_branch);
    return found && { found: { digest: found.digest, size: found.size, branch: found.branch }, tar: this.deps.cache.open(found) };
  }

  async checkCache(runId: number, lease: string, blob: CacheBlob): Promise<CacheCheck | undefined> {
    const row = await this.#held(runId, lease);
    return row && this.deps.cache.check(row, blob);
  }

  async putCache(runId: number, lease: string, blob: CacheBlob, tar: ReadableStream<Uint8Array>): Promise<CachePut> {
    const row = await this.#held(runId, lease);
    if (!row) {
      await tar.cancel().catch(() => undefined);
      return { stored: false, status: 409, reason: LOST };
    }
    // Still this claim's run once the upload is in: only then does it become the cache.
    const put = await this.deps.cache.receive(row, blob, tar, async () => Boolean(await this.#held(runId, lease)));
    return put === 'lost' ? { stored: false, status: 409, reason: LOST } : put;
  }

  async nextTerminal(runId: number, lease: string, signal: AbortSignal): Promise<TerminalRequest | undefined> {
    if (!(await this.#held(runId, lease))) return undefined;
    return this.deps.terminals.hub.next(runId, POLL_WAIT_MS, signal);
  }

  /** The embedded runner's end of a terminal: in-process. */
  async openTerminal(runId: number, lease: string, id: string): Promise<TerminalChannel | undefined> {
    if (!(await this.#held(runId, lease))) return undefined;
    return this.deps.terminals.hub.inProcess(runId, id);
  }

  /** A remote runner's socket for terminal `id` (routes: terminal-socket.ts). */
  async connectTerminal(runId: number, lease: string, id: string, channel: TerminalChannel): Promise<boolean> {
    if (!(await this.#held(runId, lease))) return false;
    return this.deps.terminals.hub.connect(runId, id, channel);
  }

  /** Whether this claim holds the run (the terminal socket's check before it is accepted). */
  async holds(runId: number, lease: string): Promise<boolean> {
    return Boolean(await this.#held(runId, lease));
  }

  /** The guard of every report: the run is running under this claim (lease id) made with this token. */
  #holds(lease: string): (r: RunRow) => boolean {
    return (r) => r.status === 'running' && r.lease_id === lease && r.lease_token_id === this.tokenId;
  }

  /** The run's row while this claim holds it. */
  async #held(runId: number, lease: string): Promise<RunRow | undefined> {
    const row = await getRunRow(this.deps.store, runId);
    return row && this.#holds(lease)(row) ? row : undefined;
  }
}

const LOST = 'this runner no longer holds the run';

/**
 * A run given back before it ended: one whose cancel was asked for ends now; any other goes back
 * to the queue (the next claim is a new lease, so nothing the stopped runner still sends is taken).
 */
async function releaseRun(deps: RunnerSideDeps, row: RunRow, why: string, holds: (r: RunRow) => boolean): Promise<boolean> {
  const attempt = row.attempt;
  if (row.cancel_requested) {
    const message = row.message ?? 'cancelled';
    return Boolean(await deps.recorder.record(row.id, [{ type: 'log', level: 'warn', text: `${why}; the run was being cancelled, so it ends here` }, finalEvent('cancelled', 0, { message })], holds,
      () => ({ status: 'cancelled', finished_at: isoNow(), lease_until: null, lease_id: null, message })));
  }
  const done = await deps.recorder.record(row.id, [{ type: 'log', level: 'warn', text: `${why} during attempt ${attempt}; the run is queued again for attempt ${attempt + 1}` }], holds,
    () => ({ status: 'queued', runner: null, lease_until: null, lease_id: null, lease_token_id: null }));
  if (done) deps.queue.ring();
  return Boolean(done);
}

/** A retry from a step: where it resumes (the runner checks it has the snapshot). */
function resumeField(row: RunRow): Pick<Job, 'resume'> {
  if (!row.resume_from) return {};
  try {
    const r = JSON.parse(row.resume_from) as { run?: unknown; fromStep?: unknown };
    return typeof r.run === 'number' && typeof r.fromStep === 'string' ? { resume: { run: r.run, fromStep: r.fromStep } } : {};
  } catch {
    return {};
  }
}
