import { rm } from 'node:fs/promises';
import { WerkerError } from '../errors.ts';
import type { Store } from '../store/db.ts';
import { expiredOutputs, markOutputRemoved } from '../store/outputs.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

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
