import { LineSplitter, safeLength } from '../util/lines.ts';

export type StreamName = 'stdout' | 'stderr';

export interface SentinelEvents {
  /**
   * An output line, or (`partial`) a piece of one flushed before its newline arrived: the next
   * text of the same stream continues that line. Never protocol text.
   */
  line(stream: StreamName, text: string, partial?: boolean): void;
  /** The batch's status line `<uuid> <int>` arrived on stdout. */
  status(code: number): void;
  /** The batch's stderr marker `<uuid>:` arrived (see ShellSession for why there is one). */
  marker(): void;
}

interface StreamState {
  splitter: LineSplitter;
  /** How much of the current unterminated line has already been emitted by a partial flush. */
  emitted: number;
}

const STALE_KEPT = 8;
/** A shared prefix shorter than this would match ordinary output too often to be worth the extra search. */
const MIN_COMMON = 8;

/**
 * Finds the session protocol's lines in the box shell's output (docs/wercker-compat.md §4.4).
 * Output is split into lines per stream and EVERY complete line is checked, so a sentinel cut
 * anywhere across chunks is still found (wercker only looked at the end of each chunk). A sentinel
 * may follow output on the same line (`printf 'abc'` then the echo gives `abc<uuid> 0`): the text
 * before it is output.
 *
 * Lines that contain the uuid in any other shape (e.g. `set -x` tracing our echo) are dropped, so
 * the protocol never reaches the log. Uuids of earlier batches (ended by a timeout) are kept for
 * a while so their late sentinels are dropped too, instead of being shown as output.
 */
export class SentinelParser {
  readonly #events: SentinelEvents;
  readonly #streams: Record<StreamName, StreamState> = { stdout: newState(), stderr: newState() };
  #uuid: string | undefined;
  #stale: string[] = [];
  /** The current uuid, then the stale ones. */
  #known: string[] = [];
  /** What every known uuid starts with (ShellSession gives its batches a shared prefix): a line without it holds none. */
  #common = '';

  readonly #holdBack: ((text: string) => number) | undefined;

  /** `holdBack(text)`: how much of an unterminated line may be shown early (e.g. not a secret's first half). */
  constructor(events: SentinelEvents, holdBack?: (text: string) => number) {
    this.#events = events;
    this.#holdBack = holdBack;
  }

  /** Starts looking for a new batch's uuid; the previous one becomes stale. */
  expect(uuid: string): void {
    if (this.#uuid) this.#stale = [this.#uuid, ...this.#stale].slice(0, STALE_KEPT);
    this.#uuid = uuid;
    this.#known = [uuid, ...this.#stale];
    this.#common = this.#known.reduce(commonPrefix);
  }

  feed(stream: StreamName, data: Buffer | string): void {
    const state = this.#streams[stream];
    const lines = state.splitter.push(data);
    if (lines.length === 0) return;
    lines.forEach((line, i) => this.#complete(stream, line, i === 0 ? state.emitted : 0));
    state.emitted = 0;
  }

  /** True when some stream holds unterminated text not yet emitted. */
  hasPending(): boolean {
    return (['stdout', 'stderr'] as const).some((s) => this.#streams[s].splitter.peek().length > this.#streams[s].emitted);
  }

  /**
   * Emits the unterminated text of each stream (progress output without newlines), except any
   * tail that could be the start of a sentinel: that is held back until its line completes, so a
   * flush never shows protocol text or breaks detection.
   */
  flushPartials(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const state = this.#streams[stream];
      const text = state.splitter.peek();
      const upTo = Math.min(...this.#known.map((u) => safeLength(text, u)), this.#holdBack?.(text) ?? text.length, text.length);
      if (upTo > state.emitted) this.#events.line(stream, text.slice(state.emitted, upTo), true);
      state.emitted = Math.max(state.emitted, upTo);
    }
  }

  /** The output ended: whatever is left is output (or protocol, checked as a complete line). */
  end(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const state = this.#streams[stream];
      const rest = state.splitter.flush();
      if (rest.length > state.emitted) this.#complete(stream, rest, state.emitted);
      state.emitted = 0;
    }
  }

  #complete(stream: StreamName, line: string, skip: number): void {
    // The common case, plain output: one search instead of one per known uuid (up to 9).
    if (this.#common.length >= MIN_COMMON && !line.includes(this.#common)) return this.#plain(stream, line, skip);
    for (const uuid of this.#known) {
      const at = line.indexOf(uuid);
      if (at === -1) continue;
      const rest = line.slice(at + uuid.length);
      const status = stream === 'stdout' ? /^ (\d+)/.exec(rest) : null;
      if (status || rest === ':') {
        this.#emit(stream, line.slice(skip, Math.max(skip, at)));
        if (uuid !== this.#uuid) return;
        if (status) this.#events.status(Number(status[1]));
        else this.#events.marker();
      }
      return; // protocol text in another shape (e.g. xtrace of our echo): never shown
    }
    this.#plain(stream, line, skip);
  }

  #plain(stream: StreamName, line: string, skip: number): void {
    // Shown in full by a partial flush: the line still ends here.
    if (skip > 0 && line.length <= skip) return this.#events.line(stream, '');
    this.#events.line(stream, skip > 0 ? line.slice(skip) : line);
  }

  #emit(stream: StreamName, text: string): void {
    if (text.length > 0) this.#events.line(stream, text);
  }
}

function commonPrefix(a: string, b: string): string {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return a.slice(0, n);
}

function newState(): StreamState {
  return { splitter: new LineSplitter(), emitted: 0 };
}
