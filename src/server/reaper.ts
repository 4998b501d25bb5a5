import { isoNow, type Store } from '../store/db.ts';
import { expiredRuns } from '../store/queue.ts';
import type { RunRow } from '../store/runs.ts';
import { finalEvent, type RunRecorder } from './run-events.ts';
import type { RunQueue } from './run-queue.ts';

export interface ReaperOptions {
  /** A run whose runner died this many times fails instead of being queued again. */
  maxAttempts: number;
}

/**
 * The reaper: runs whose lease ran out (their runner died or lost contact) go back to the queue,
 * or fail after maxAttempts, or end if their cancel was asked for. Returns the requeued run ids.
 */
export function reaper(store: Store, recorder: RunRecorder, queue: RunQueue, options: ReaperOptions): () => Promise<number[]> {
  return async () => {
    const requeued: number[] = [];
    for (const row of await expiredRuns(store)) {
      // The run ends or waits for a new claim (which loads its variables again): its masker goes.
      recorder.forget(row.id);
      if (await reapRun(recorder, row, options.maxAttempts)) requeued.push(row.id);
    }
    if (requeued.length) queue.ring();
    return requeued;
  };
}

/** Ends or requeues one expired run (unless something else changed it first); true when it was queued again. */
async function reapRun(recorder: RunRecorder, row: RunRow, maxAttempts: number): Promise<boolean> {
  const expired = (r: RunRow) => r.status === 'running' && r.attempt === row.attempt && (r.lease_until ?? '') < isoNow();
  const lost = `runner ${row.runner ?? '?'} stopped answering (no heartbeat before ${row.lease_until})`;
  if (row.cancel_requested || row.attempt >= maxAttempts) {
    const status = row.cancel_requested ? 'cancelled' : 'failed';
    const message = row.cancel_requested ? (row.message ?? 'cancelled') : `${lost}; gave up after ${row.attempt} attempts`;
    await recorder.record(row.id, [{ type: 'log', level: 'warn', text: lost }, finalEvent(status, 0, { message })], expired,
      () => ({ status, finished_at: isoNow(), lease_until: null, lease_id: null, message }));
    return false;
  }
  const done = await recorder.record(row.id, [{ type: 'log', level: 'warn', text: `${lost}; the run is queued again for attempt ${row.attempt + 1}` }], expired,
    () => ({ status: 'queued', runner: null, lease_until: null, lease_id: null, lease_token_id: null }));
  return Boolean(done);
}

/** Reaps every `intervalMs`, one pass at a time; returns the stop function. */
export function startReaper(reap: () => Promise<number[]>, intervalMs: number): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    reap().catch((err: Error) => process.stderr.write(`werker server: requeueing expired runs failed: ${err.message}\n`)).finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
