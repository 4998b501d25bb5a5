/** Past this many characters the pending text is written at once, without waiting for the tick to end. */
const MAX_PENDING = 64 * 1024;

export interface BatchedWriter {
  /** Queues text; it is written with the rest of this tick's text (or sooner, past 64 k characters). */
  push(text: string): void;
  /** Writes whatever is queued now. */
  flush(): void;
}

/**
 * Coalesces many small writes into few large ones. A step's output arrives as one event per
 * line, and stdout to a file, a pipe or a terminal is a synchronous write(2) in Node: one system
 * call per line was a large part of werker's cost for a chatty step. Text queued in one turn of
 * the event loop (the lines of one chunk from the container) goes out in one call, in order,
 * before any timer or I/O callback of the next turn, so it reaches the reader just as soon.
 */
export function batchedWriter(write: (text: string) => void, maxPending = MAX_PENDING): BatchedWriter {
  // Appending builds a rope in V8, flattened once when written: cheaper than an array and a join.
  let pending = '';
  let scheduled = false;
  const flush = () => {
    if (!pending) return;
    const text = pending;
    pending = '';
    write(text);
  };
  return {
    push(text) {
      pending += text;
      if (pending.length >= maxPending) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          flush();
        });
      }
    },
    flush,
  };
}
