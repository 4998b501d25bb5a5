import type { Store } from '../store/db.ts';
import { createRun, type NewRun, type RunRow } from '../store/runs.ts';
import type { RunChanges } from './run-changes.ts';

/**
 * Queueing runs (the queue is the runs table: store/queue.ts), and telling whoever listens that
 * there is work: the embedded runner wakes at once instead of waiting for its next poll.
 */
export class RunQueue {
  readonly #listeners = new Set<() => void>();

  constructor(private readonly store: Store, private readonly changes?: RunChanges) {}

  async enqueue(run: NewRun): Promise<RunRow> {
    const row = await createRun(this.store, run);
    this.changes?.emit(row, undefined);
    this.ring();
    return row;
  }

  /** Called whenever a run is queued; returns the function that stops it. */
  onQueued(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** A run became claimable (queued, or queued again). */
  ring(): void {
    for (const fn of this.#listeners) fn();
  }
}
