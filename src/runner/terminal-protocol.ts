/**
 * The server terminal's messages (docs/wercker-compat.md §8.4, werker's own), the same on both
 * legs: browser ↔ server and server ↔ the runner holding the box. JSON text frames.
 * - to the box: `input` (keys as typed, Ctrl-C included), `resize`;
 * - from the box: `output` (masked), `notice` (a line from werker, not the shell), `exit` (the
 *   shell ended; the socket closes next).
 */
export type TerminalMessage =
  | { type: 'input'; data: string }
  | { type: 'resize'; rows: number; cols: number }
  | { type: 'output'; data: string }
  | { type: 'notice'; text: string }
  | { type: 'exit'; code: number | null };

/** One frame's limit: a paste of 64 KB is plenty; more is refused. */
export const TERMINAL_MAX_FRAME = 64 * 1024;

/** A terminal's two ends, whatever carries them (a WebSocket, or an in-process pair). */
export interface TerminalChannel {
  send(message: TerminalMessage): void;
  onMessage(listener: (message: TerminalMessage) => void): void;
  /** Called once, when either side closes (with why). */
  onClose(listener: (reason: string) => void): void;
  close(reason?: string): void;
}

/** What a server asks a runner holding a box for: open terminal `id` for `user`. */
export interface TerminalRequest {
  id: string;
  user: string;
}

/** A message from the other side, checked: anything else is dropped. */
export function parseTerminalMessage(text: string): TerminalMessage | undefined {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!m || typeof m !== 'object') return undefined;
  const r = m as Record<string, unknown>;
  switch (r.type) {
    case 'input': case 'output': return typeof r.data === 'string' ? { type: r.type, data: r.data } : undefined;
    case 'notice': return typeof r.text === 'string' ? { type: 'notice', text: r.text } : undefined;
    case 'exit': return { type: 'exit', code: typeof r.code === 'number' ? r.code : null };
    case 'resize': {
      const rows = Number(r.rows), cols = Number(r.cols);
      const ok = (n: number) => Number.isInteger(n) && n > 0 && n <= 1000;
      return ok(rows) && ok(cols) ? { type: 'resize', rows, cols } : undefined;
    }
    default: return undefined;
  }
}

/**
 * Two connected in-process ends (the embedded runner's leg): what one sends, the other gets;
 * closing one closes both, each listener told once.
 */
export function channelPair(): [TerminalChannel, TerminalChannel] {
  const make = () => ({ listeners: [] as ((m: TerminalMessage) => void)[], closers: [] as ((r: string) => void)[] });
  const a = make(), b = make();
  let closed = false;
  const close = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const fn of [...a.closers, ...b.closers]) fn(reason);
  };
  const end = (own: typeof a, other: typeof a): TerminalChannel => ({
    // Delivered on the next tick, as a socket would: a listener never runs inside send().
    send: (m) => { if (!closed) queueMicrotask(() => other.listeners.forEach((fn) => fn(m))); },
    onMessage: (fn) => void own.listeners.push(fn),
    onClose: (fn) => void own.closers.push(fn),
    close: (reason = 'closed') => queueMicrotask(() => close(reason)),
  });
  return [end(a, b), end(b, a)];
}
