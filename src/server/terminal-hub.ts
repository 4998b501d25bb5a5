import { randomBytes } from 'node:crypto';
import { channelPair, type TerminalChannel, type TerminalMessage, type TerminalRequest } from '../runner/terminal-protocol.ts';
import type { Masker } from '../util/mask.ts';
import { StreamMasker } from '../util/mask-stream.ts';

/** How long a runner's long poll for terminal requests waits before answering "none". */
export const POLL_WAIT_MS = 25_000;
/** How long the runner has to connect its end once asked; after it the browser is told. */
const CONNECT_WAIT_MS = 15_000;
/** A runner that polled this recently is still holding the box (it polls again at once). */
const HOLDING_GRACE_MS = 5_000;

interface Waiting {
  request: TerminalRequest;
  runId: number;
  browser: TerminalChannel;
  masker: Masker;
  timer: NodeJS.Timeout;
}

/**
 * Pairs the browser's end of each terminal with the runner's (docs/wercker-compat.md §8.4,
 * werker's own): a runner holding a failed box long-polls for requests (`next`); a browser's
 * socket becomes a request (`ask`); the runner then connects its end (`connect`, or
 * `inProcess` for the embedded runner) and the hub relays between them, keys one way and
 * masked output the other. In this server process's memory, like the live log.
 */
export class TerminalHub {
  readonly #polls = new Map<number, Set<(r: TerminalRequest) => void>>();
  readonly #lastPoll = new Map<number, number>();
  readonly #queued = new Map<number, TerminalRequest[]>();
  readonly #waiting = new Map<string, Waiting>();
  readonly #open = new Map<number, Set<TerminalChannel>>();

  /** Whether a runner holds the run's failed box now (it is polling for terminals). */
  holding(runId: number): boolean {
    return (this.#polls.get(runId)?.size ?? 0) > 0 || Date.now() - (this.#lastPoll.get(runId) ?? 0) < HOLDING_GRACE_MS;
  }

  /** The runner's long poll: the next terminal asked for on the run, or undefined after `waitMs` (or `signal`). */
  next(runId: number, waitMs: number, signal?: AbortSignal): Promise<TerminalRequest | undefined> {
    const queued = this.#queued.get(runId)?.shift();
    this.#lastPoll.set(runId, Date.now());
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const polls = this.#polls.get(runId) ?? new Set();
      this.#polls.set(runId, polls);
      const done = (r: TerminalRequest | undefined) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        polls.delete(deliver);
        this.#lastPoll.set(runId, Date.now());
        resolve(r);
      };
      const deliver = (r: TerminalRequest) => done(r);
      const onAbort = () => done(undefined);
      const timer = setTimeout(() => done(undefined), waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      polls.add(deliver);
    });
  }

  /** A browser's socket for `user`: handed to the runner's next poll; told and closed when no runner connects in time. */
  ask(runId: number, user: string, browser: TerminalChannel, masker: Masker): void {
    const request = { id: randomBytes(12).toString('base64url'), user };
    const timer = setTimeout(() => {
      if (!this.#waiting.delete(request.id)) return;
      browser.send({ type: 'notice', text: 'the runner holding the box did not answer: it may have stopped, or the box was let go; reload the page' });
      browser.close('no runner answered');
    }, CONNECT_WAIT_MS);
    this.#waiting.set(request.id, { request, runId, browser, masker, timer });
    browser.onClose(() => {
      const w = this.#waiting.get(request.id);
      if (w) clearTimeout(w.timer);
      this.#waiting.delete(request.id);
    });
    const poll = this.#polls.get(runId)?.values().next().value;
    if (poll) poll(request);
    else this.#queued.set(runId, [...(this.#queued.get(runId) ?? []), request]);
  }

  /** The runner's end of terminal `id` arrived: relay. False when nobody waits for it (any more). */
  connect(runId: number, id: string, runner: TerminalChannel): boolean {
    const w = this.#waiting.get(id);
    if (!w || w.runId !== runId) return false;
    clearTimeout(w.timer);
    this.#waiting.delete(id);
    relay(w.browser, runner, w.masker);
    const open = this.#open.get(runId) ?? new Set();
    this.#open.set(runId, open);
    open.add(w.browser);
    w.browser.onClose(() => open.delete(w.browser));
    return true;
  }

  /** The embedded runner's end: an in-process pair instead of a socket. */
  inProcess(runId: number, id: string): TerminalChannel | undefined {
    const [runnerEnd, hubEnd] = channelPair();
    return this.connect(runId, id, hubEnd) ? runnerEnd : undefined;
  }

  /** The run ended (finished, cancelled, queued again): its terminals close with a line saying so. */
  endRun(runId: number, why: string): void {
    for (const browser of this.#open.get(runId) ?? []) {
      browser.send({ type: 'notice', text: `${why}: the terminal ends` });
      browser.close(why);
    }
    for (const [id, w] of this.#waiting) if (w.runId === runId) {
      clearTimeout(w.timer);
      this.#waiting.delete(id);
      w.browser.close(why);
    }
    this.#open.delete(runId);
    this.#queued.delete(runId);
    this.#lastPoll.delete(runId);
  }
}

/**
 * Keys and sizes go to the runner; output (masked again here, as the log is), notices and the
 * exit come back. Either end closing closes the other; a runner that goes away is said so.
 */
function relay(browser: TerminalChannel, runner: TerminalChannel, masker: Masker): void {
  const masked = new StreamMasker(masker);
  let exited = false;
  browser.onMessage((m) => {
    if (m.type === 'input' || m.type === 'resize') runner.send(m);
  });
  runner.onMessage((m: TerminalMessage) => {
    if (m.type === 'output') {
      const text = masked.push(m.data);
      if (text) browser.send({ type: 'output', data: text });
    } else if (m.type === 'notice') browser.send(m);
    else if (m.type === 'exit') {
      exited = true;
      const rest = masked.end();
      if (rest) browser.send({ type: 'output', data: rest });
      browser.send(m);
    }
  });
  browser.onClose((reason) => runner.close(`the browser closed the terminal (${reason})`));
  runner.onClose((reason) => {
    if (!exited) browser.send({ type: 'notice', text: `the terminal ended: ${reason}` });
    browser.close(reason);
  });
}
