import { rm } from 'node:fs/promises';
import { WerkerError } from '../errors.ts';
import type { Store } from '../store/db.ts';
import { expiredOutputs, markOutputRemoved } from '../store/outputs.ts';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** A deploy from an output the sweep deleted: what the runner's log, the run and the API say. */
export class OutputRemovedError extends WerkerError {
  constructor(readonly sourceRunId: number, readonly removedAt: string) {
    super(`the output of run ${sourceRunId} was removed by retention on ${removedAt.slice(0, 10)} (werker server --keep-outputs)`, 1, {
      hint: 'run the build again, then deploy its output',
    });
  }

  /** Message and hint in one line, for answers that carry a single text. */
  fullMessage(): string {
    return `${this.message}; ${this.hint}`;
  }
}

export interface RetentionOptions {
  /** Outputs of runs finished longer ago than this are deleted; 0 keeps every output. */
  keepOutputsDays: number;
  /** The clock (tests pass their own). */
  now?: () => Date;
}

/**
 * The retention sweep: deletes the output tars of finished runs older than `keepOutputsDays`
 * (never the newest passed one per application + pipeline + branch) and marks their rows. The
 * run keeps its row, events and log. Returns the ids whose output it removed.
 */
export function outputSweeper(store: Store, options: RetentionOptions): () => Promise<number[]> {
  const now = options.now ?? (() => new Date());
  return async () => {
    if (!(options.keepOutputsDays > 0)) return [];
    const removed: number[] = [];
    const cutoff = new Date(now().getTime() - options.keepOutputsDays * DAY_MS).toISOString();
    // In batches, so one sweep after a long time without one does not load every row at once.
    for (;;) {
      const batch = await expiredOutputs(store, cutoff);
      for (const row of batch) {
        // The file first: a row marked removed never points at a file still taking space.
        if (row.output_path) await rm(row.output_path, { force: true });
        await markOutputRemoved(store, row.id, now().toISOString());
        removed.push(row.id);
      }
      if (batch.length === 0) return removed;
    }
  };
}

/** Sweeps at once and then every `intervalMs` (default hourly); its stop function waits for a sweep in progress. */
export function startOutputSweep(sweepOutputs: () => Promise<number[]>, intervalMs = HOUR_MS): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const sweep = () => {
    if (running) return;
    running = sweepOutputs()
      .then((ids) => ids.length && process.stderr.write(`werker server: retention removed the outputs of ${ids.length} run(s) (--keep-outputs)\n`))
      .catch((err: Error) => process.stderr.write(`werker server: removing expired outputs failed: ${err.message}; the next sweep tries again (check the data dir's outputs/)\n`))
      .finally(() => (running = undefined));
  };
  sweep();
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    // The store closes next: a sweep still deleting must finish first.
    await running;
  };
}
