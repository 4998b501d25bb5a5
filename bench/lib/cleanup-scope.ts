/** Every scope still open, so an interrupted bench (Ctrl-C) can undo what it made before exiting. */
const open = new Set<CleanupScope>();

/**
 * Collects undo actions (remove a container, a network, a temp dir) and runs them in reverse
 * order when the scope ends: `await using scope = new CleanupScope()`. An action that fails is
 * reported and the others still run, so one stuck container never leaves the rest behind.
 */
export class CleanupScope implements AsyncDisposable {
  readonly #actions: { what: string; undo: () => Promise<unknown> }[] = [];

  constructor() {
    open.add(this);
  }

  /** Registers `undo` to run when the scope ends (last registered runs first). */
  defer(what: string, undo: () => Promise<unknown>): void {
    this.#actions.push({ what, undo });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    open.delete(this);
    while (this.#actions.length) {
      const { what, undo } = this.#actions.pop()!;
      try {
        await undo();
      } catch (err) {
        process.stderr.write(`bench: cleanup failed (${what}): ${(err as Error).message}\n`);
      }
    }
  }
}

/** Runs the undo actions of every scope still open (newest first); for the signal handler. */
export async function disposeOpenScopes(): Promise<void> {
  for (const scope of [...open].reverse()) await scope[Symbol.asyncDispose]();
}
