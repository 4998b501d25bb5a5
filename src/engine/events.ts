import { Masker } from '../util/mask.ts';

export type { EventBase, EventSink, RunEvent, RunEventBody, RunEventType, StepPhase } from './event-types.ts';
import type { EventSink, RunEvent, RunEventBody } from './event-types.ts';

export interface BusOptions {
  /** Values no subscriber may see, from the first event on (a run adds its plan's hidden values itself). */
  secrets?: Iterable<string>;
  /** The clock (tests). */
  now?: () => Date;
}

/**
 * Stamps bodies with runId/seq/at and fans them out. A subscriber that throws is dropped (with
 * a note on stderr) and never fails the run. `congested()` is the first subscriber's wait, if
 * any is behind: the engine stops reading a step's output until it settles.
 *
 * Masking is the bus's: every text field of every body is masked as it enters (maskEventBody),
 * with the secrets given here and those `hide` adds (runPipeline hides its plan's hidden values
 * before its first event). Output arrives a line at a time, so each line is masked whole;
 * `holdBack` says how much of an unfinished line may be shown early. `mask` is for the few texts
 * that leave a run by another road than an event (its result, the after-steps' env).
 *
 * A chatty step makes an event per output line (millions for a large log), so this is kept
 * lean: the ISO time is made once per millisecond, the subscriber list is only copied when one
 * is dropped, and the event is built with its keys in the same order as always (`--json`).
 */
export function createBus(runId: string, subscribers: EventSink[], options: BusOptions = {}) {
  const { now } = options;
  const secrets = new Set(options.secrets ?? []);
  let masker = new Masker(secrets);
  const hide = (values: Iterable<string>): void => {
    const before = secrets.size;
    for (const value of values) secrets.add(value);
    if (secrets.size !== before) masker = new Masker(secrets);
  };
  let seq = 0;
  let live = [...subscribers];
  let lastMs = Number.NaN;
  let lastAt = '';
  const stamp = (): string => {
    const ms = now ? now().getTime() : Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastAt = new Date(ms).toISOString();
    }
    return lastAt;
  };
  const emit = (body: RunEventBody): RunEvent => dispatch(Object.assign({ runId, seq: ++seq, at: stamp() }, maskEventBody(masker, body)) as RunEvent);
  /** `emit` of a `step.output`, built as one literal: the hot path of a chatty step. */
  const output = (step: number, stream: 'stdout' | 'stderr', line: string, partial?: boolean): RunEvent => {
    const text = masker.mask(line);
    return dispatch(partial
      ? { runId, seq: ++seq, at: stamp(), type: 'step.output', step, stream, text, partial: true }
      : { runId, seq: ++seq, at: stamp(), type: 'step.output', step, stream, text });
  };
  const dispatch = (event: RunEvent): RunEvent => {
    // A dropped subscriber replaces `live`; the loop goes on over the list it started with.
    const subs = live;
    for (const sub of subs) {
      try {
        sub(event);
      } catch (err) {
        live = live.filter((s) => s !== sub);
        process.stderr.write(`werker: an output consumer failed and was dropped: ${(err as Error).message}\n`);
      }
    }
    return event;
  };
  const congested = (): Promise<void> | undefined => {
    for (const sub of live) {
      const wait = sub.congested?.();
      if (wait) return wait;
    }
    return undefined;
  };
  const holdBack = (text: string): number => masker.safeLength(text);
  const mask = (text: string): string => masker.mask(text);
  return { emit, output, congested, hide, holdBack, mask };
}
export type Bus = ReturnType<typeof createBus>;

/**
 * Words of the event vocabulary, by field (`phase: 'main'`, `status: 'passed'`): kept as they
 * are even when a secret happens to be the same word, so no event loses its shape. Any other
 * string (and `image.pull`'s free-text status) is text from the run and is masked.
 */
const VOCABULARY: Readonly<Record<string, ReadonlySet<string>>> = {
  stream: new Set(['stdout', 'stderr']),
  phase: new Set(['setup', 'main', 'after']),
  status: new Set(['passed', 'failed', 'cancelled', 'errored']),
  level: new Set(['info', 'warn', 'debug']),
};

/**
 * An event body with the secrets masked in every text field, nested ones (arrays, `error`)
 * included; `type` and the vocabulary words stay. The bus applies it to everything it is given;
 * the server applies it where a runner's events enter its store (server/mask-events.ts).
 */
export function maskEventBody<T extends RunEventBody>(masker: Masker, body: T): T {
  if (masker.empty) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) out[k] = k === 'type' ? v : maskFields(masker, v, k);
  return out as T;
}

function maskFields(masker: Masker, value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') return key !== undefined && VOCABULARY[key]?.has(value) ? value : masker.mask(value);
  if (Array.isArray(value)) return value.map((item) => maskFields(masker, item, undefined));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskFields(masker, v, k);
  return out;
}
