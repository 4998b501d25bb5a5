import type { RunEvent } from '../engine/events.ts';

/** In-process fan-out of newly stored events, by run; SSE streams and tests listen here. */
export class LiveEvents {
  readonly #listeners = new Map<number, Set<(e: RunEvent) => void>>();

  follow(runId: number, fn: (e: RunEvent) => void): () => void {
    let set = this.#listeners.get(runId);
    if (!set) this.#listeners.set(runId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.#listeners.delete(runId);
    };
  }

  publish(runId: number, events: RunEvent[]): void {
    const set = this.#listeners.get(runId);
    if (!set) return;
    for (const fn of [...set]) for (const e of events) {
      try {
        fn(e);
      } catch {
        // A listener's failure is its own (a closed stream); others still get the event.
      }
    }
  }
}
