/**
 * Turns a stream of file events into batches: a batch is ready once no event has come for
 * `quietMs` (a trailing debounce), so an editor's save (write, rename, chmod) or a burst of saves
 * gives one batch, and one restart. `next()` waits for the next batch; events that arrive while
 * nobody waits are kept for the next call, never lost.
 */
export class ChangeFeed {
  readonly #quietMs: number;
  readonly #pending = new Set<string>();
  #ready: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #waiter: ((files: string[]) => void) | undefined;

  constructor(quietMs: number) {
    this.#quietMs = quietMs;
  }

  push(path: string): void {
    this.#pending.add(path);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#flush(), this.#quietMs);
  }

  /** The paths that changed in the next burst (each once, in the order first seen). */
  next(): Promise<string[]> {
    if (this.#ready.length) {
      const files = this.#ready;
      this.#ready = [];
      return Promise.resolve(files);
    }
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  close(): void {
    clearTimeout(this.#timer);
  }

  #flush(): void {
    const files = [...new Set([...this.#ready, ...this.#pending])];
    this.#pending.clear();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) {
      this.#ready = [];
      waiter(files);
    } else {
      this.#ready = files;
    }
  }
}
