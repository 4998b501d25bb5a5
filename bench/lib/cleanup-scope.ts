/** Every scope still open, so an interrupted bench (Ctrl-C) can undo what it made before exiting. */
const open = new Set<CleanupScope>();

/**
 * Collects undo actions (remove a container, a network, a temp dir) and runs them in reverse
 * order when the scope ends: `await using scope = new CleanupScope()`. An action that fails is
 * reported and the others still run, so one stuck container never leaves the rest behind.
 */
export class CleanupScope implements AsyncDisposable {
  readonly #actions: { what: string; undo: () => Promise<unknown> }[] = [];
  #disposing: Promise<void> | undefined;

  constructor() {
    open.add(this);
  }

  /** Registers `undo` to run when the scope ends (last registered runs first). */
  defer(what: string, undo: () => Promise<unknown>): void {
    this.#actions.push({ what, undo });
  }

  /**
   * Idempotent: on Ctrl-C the signal handler and the benchmark's own unwinding both dispose the
   * scope; both wait for the one run of the actions, so the process never exits halfway through.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposing ??= this.#runActions();
    return this.#disposing;
  }

  async #runActions(): Promise<void> {
    while (this.#actions.length) {
      const { what, undo } = this.#actions.pop()!;
      try {
        await undo();
      } catch (err) {
        process.stderr.write(`bench: cleanup failed (${what}): ${(err as Error).message}\n`);
      }
    }
    open.delete(this);
  }
}

/** Runs the undo actions of every scope still open (newest first); for the signal handler. */
export async function disposeOpenScopes(): Promise<void> {
  for (const scope of [...open].reverse()) await scope[Symbol.asyncDispose]();
}
