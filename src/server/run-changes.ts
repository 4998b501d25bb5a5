import type { RunRow } from '../store/runs.ts';

/** A run's status changed: `previous` is undefined for a run just queued. */
export type RunChangeListener = (run: RunRow, previous: RunRow['status'] | undefined) => void | Promise<void>;

/**
 * Tells whoever listens (commit statuses, notifications) that a run changed status: queued,
 * claimed (running), finished, given back to the queue. Called after the change is stored; a
 * listener runs in the background, and its failure is its own (logged, never the run's).
 */
export class RunChanges {
  readonly #listeners = new Set<RunChangeListener>();
  readonly #pending = new Set<Promise<void>>();

  /** Returns the function that stops listening. */
  on(fn: RunChangeListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  emit(run: RunRow, previous: RunRow['status'] | undefined): void {
    if (run.status === previous) return;
    for (const fn of this.#listeners) {
      const p = Promise.resolve()
        .then(() => fn(run, previous))
        .catch((err: Error) => {
          process.stderr.write(`werker server: after run ${run.id} became ${run.status}: ${err.message}\n`);
        })
        .finally(() => this.#pending.delete(p));
      this.#pending.add(p);
    }
  }

  /** Waits for the listeners started so far (a server that stops lets them finish). */
  async settled(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }
}
