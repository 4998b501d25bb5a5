import { randomUUID } from 'node:crypto';
import { InternalError } from '../errors.ts';
import type { AttachedProcess, OutputChunk } from '../runtime/runtime.ts';
import { SentinelParser, type StreamName } from './sentinel-parser.ts';

export type BatchResult =
  | { kind: 'exited'; status: number }
  /** The shell (or its container) ended before the batch did: `exit`, or a failure under `set -e`. */
  | { kind: 'gone' }
  | { kind: 'timeout' }
  | { kind: 'no-response' }
  | { kind: 'cancelled' };

export interface BatchOptions {
  /**
   * Receives each output line (never protocol lines); `partial`: a piece of a line shown before
   * its newline, continued by the next line of that stream. Unmasked: the bus masks (events.ts).
   */
  onLine?: LineSink;
  /** The whole batch (docs/wercker-compat.md §4.9 command timeout). */
  timeoutMs?: number;
  /** Longest time without any output (docs/wercker-compat.md §4.9 no-response timeout). */
  noResponseTimeoutMs?: number;
  signal?: AbortSignal;
}

export type LineSink = (stream: StreamName, line: string, partial?: boolean) => void;

export interface SessionOptions {
  /** Unterminated output is shown after this long without a newline. */
  partialFlushMs?: number;
  /** How long to wait for the stderr marker once the status line is in (see below). */
  stderrGraceMs?: number;
  /**
   * How much of an unterminated line a partial flush may show. The run passes the bus's, so a
   * secret printed in two writes is never shown half before its line completes and is masked.
   */
  holdBack?: (text: string) => number;
  /** Output that arrives while no batch runs (background jobs); dropped if not given. */
  onIdleLine?: LineSink;
  /**
   * Whether the consumers of the output are behind (the run's log file on a slow disk): a
   * promise for when they have caught up. The box's output is not read until then, so it waits
   * in the pipe (and the step's writes block) instead of piling up in werker's memory.
   */
  congested?: () => Promise<void> | undefined;
  /** Every line sent to the shell, the batch's status lines too (`--verbose`/`--debug`, engine/transcript.ts). */
  onSend?: (lines: string[]) => void;
}

interface ActiveBatch {
  onLine: LineSink | undefined;
  status: number | undefined;
  marker: boolean;
  timers: NodeJS.Timeout[];
  silence: NodeJS.Timeout | undefined;
  /** Restarts the no-response timer; any output counts as a response. */
  rearm: (() => void) | undefined;
  resolve: (result: BatchResult) => void;
  cleanup: () => void;
}

/**
 * The long-lived shell in the box (docs/wercker-compat.md §4.4): batches of command lines go to its
 * stdin, each followed by `echo <uuid> $?`, whose line on stdout ends the batch and carries the
 * status.
 *
 * werker adds one line to the protocol: `printf '<uuid>\072\n' >&2`. Docker copies the stdout
 * and stderr pipes separately, so the last stderr lines of a batch (often the error message) can
 * arrive after the stdout status line; the marker closes stderr's part of the batch, and the
 * batch ends when both are in (or after a short grace, for a step that redirected stderr).
 * printf with an octal escape makes the printed marker (`<uuid>:`) differ from its `set -x`
 * trace, and `|| :` keeps a closed stderr from killing a `set -e` shell.
 */
export class ShellSession {
  readonly #proc: AttachedProcess;
  readonly #parser: SentinelParser;
  readonly #flushMs: number;
  readonly #graceMs: number;
  readonly #onIdleLine: SessionOptions['onIdleLine'];
  readonly #congested: SessionOptions['congested'];
  readonly #onSend: SessionOptions['onSend'];
  /** Shared by every batch uuid of this session, so one search per line finds current and stale sentinels alike. */
  readonly #uuidPrefix = randomUUID().slice(0, 13);
  #paused = false;
  #batch: ActiveBatch | undefined;
  #gone = false;
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(proc: AttachedProcess, opts: SessionOptions = {}) {
    this.#proc = proc;
    this.#flushMs = opts.partialFlushMs ?? 250;
    this.#graceMs = opts.stderrGraceMs ?? 1000;
    this.#onIdleLine = opts.onIdleLine;
    this.#congested = opts.congested;
    this.#onSend = opts.onSend;
    this.#parser = new SentinelParser({
      line: (stream, text, partial) => (this.#batch ? this.#batch.onLine : this.#onIdleLine)?.(stream, text, partial),
      status: (code) => this.#onStatus(code),
      marker: () => this.#onMarker(),
    }, opts.holdBack);
    // Writing after the shell has gone fails (EPIPE); the output ending reports that instead.
    proc.stdin.on('error', () => {});
    proc.output.on('data', (chunk: OutputChunk) => this.#onChunk(chunk));
    proc.output.on('end', () => this.#onEnd());
    proc.output.on('close', () => this.#onEnd());
    proc.output.on('error', () => this.#onEnd());
  }

  /** False once the shell's output has ended; every later batch is 'gone' at once. */
  get alive(): boolean {
    return !this.#gone;
  }

  /** Runs one checked batch. One batch at a time: the shell has one stdin and one status. */
  run(lines: string[], opts: BatchOptions = {}): Promise<BatchResult> {
    if (this.#batch) return Promise.reject(new InternalError('ShellSession.run called while another batch is running'));
    if (this.#gone) return Promise.resolve({ kind: 'gone' });
    if (opts.signal?.aborted) return Promise.resolve({ kind: 'cancelled' });
    // Still a random v4 uuid in form: the session's first 13 characters, the batch's other 23.
    const uuid = this.#uuidPrefix + randomUUID().slice(13);
    this.#parser.expect(uuid);
    const result = new Promise<BatchResult>((resolve) => this.#start(resolve, opts));
    const sent = [...lines, `echo ${uuid} $?`, `printf '${uuid}\\072\\n' >&2 || :`];
    this.#onSend?.(sent);
    const text = sent.join('\n') + '\n';
    this.#proc.stdin.write(text);
    return result;
  }

  /** A checked batch whose output is discarded (setup commands, docs/wercker-compat.md §3.5). */
  runHidden(lines: string[], opts: Omit<BatchOptions, 'onLine'> = {}): Promise<BatchResult> {
    return this.run(lines, { ...opts, onLine: undefined });
  }

  /** Detaches from the shell; a running batch resolves as 'cancelled'. */
  close(): void {
    this.#finish({ kind: 'cancelled' });
    this.#gone = true;
    clearTimeout(this.#flushTimer);
    this.#proc.close();
  }

  #start(resolve: (r: BatchResult) => void, opts: BatchOptions): void {
    const onAbort = () => this.#finish({ kind: 'cancelled' });
    const batch: ActiveBatch = {
      onLine: opts.onLine,
      status: undefined,
      marker: false,
      timers: [],
      silence: undefined,
      rearm: undefined,
      resolve,
      cleanup: () => opts.signal?.removeEventListener('abort', onAbort),
    };
    this.#batch = batch;
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.timeoutMs && opts.timeoutMs > 0) batch.timers.push(setTimeout(() => this.#finish({ kind: 'timeout' }), opts.timeoutMs));
    const silenceMs = opts.noResponseTimeoutMs;
    if (silenceMs && silenceMs > 0) {
      batch.rearm = () => {
        clearTimeout(batch.silence);
        batch.silence = setTimeout(() => this.#finish({ kind: 'no-response' }), silenceMs);
      };
      batch.rearm();
    }
  }

  #onChunk(chunk: OutputChunk): void {
    this.#batch?.rearm?.();
    this.#parser.feed(chunk.stream, chunk.data);
    if (this.#parser.hasPending() && !this.#flushTimer) {
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = undefined;
        this.#parser.flushPartials();
      }, this.#flushMs);
      this.#flushTimer.unref();
    }
    this.#waitForConsumers();
  }

  #waitForConsumers(): void {
    if (this.#paused || !this.#congested) return;
    const caughtUp = this.#congested();
    if (!caughtUp) return;
    this.#paused = true;
    // werker is behind, not the step: the no-response clock stops until reading goes on.
    clearTimeout(this.#batch?.silence);
    this.#proc.output.pause();
    void caughtUp.then(() => {
      this.#paused = false;
      this.#batch?.rearm?.();
      this.#proc.output.resume();
    });
  }

  #onStatus(code: number): void {
    const batch = this.#batch;
    if (!batch) return;
    batch.status = code;
    if (batch.marker) this.#finish({ kind: 'exited', status: code });
    else batch.timers.push(setTimeout(() => this.#finish({ kind: 'exited', status: code }), this.#graceMs));
  }

  #onMarker(): void {
    const batch = this.#batch;
    if (!batch) return;
    batch.marker = true;
    if (batch.status !== undefined) this.#finish({ kind: 'exited', status: batch.status });
  }

  #onEnd(): void {
    if (this.#gone) return;
    this.#gone = true;
    clearTimeout(this.#flushTimer);
    this.#parser.end();
    const status = this.#batch?.status;
    this.#finish(status === undefined ? { kind: 'gone' } : { kind: 'exited', status });
  }

  #finish(result: BatchResult): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    for (const t of batch.timers) clearTimeout(t);
    clearTimeout(batch.silence);
    batch.cleanup();
    batch.resolve(result);
  }
}
