/**
 * Everything observable about a run is one of these events, in order. The engine only calls
 * `sink(event)`; reporters (TTY, plain, --json, log file) and later the server consume them.
 * Output text is masked before any event is made (see report/mask.ts), so no consumer can leak
 * a secret.
 */
export interface EventBase {
  runId: string;
  /** Counts up from 1 within a run. */
  seq: number;
  /** ISO time. */
  at: string;
}

export type StepPhase = 'setup' | 'main' | 'after';

export type RunEventBody =
  | { type: 'run.started'; pipeline: string; box: string; services: string[]; steps: string[]; afterSteps: string[] }
  | { type: 'image.pull'; image: string; status: string; current?: number; total?: number }
  | { type: 'image.ready'; image: string; pulled: boolean; durationMs: number }
  | { type: 'service.started'; name: string; image: string; containerId: string }
  | { type: 'service.ready'; name: string; waitedMs: number; how: string }
  | { type: 'service.failed'; name: string; message: string; logs: string }
  | { type: 'service.logs'; name: string; logs: string }
  | { type: 'step.started'; step: number; name: string; phase: StepPhase }
  /**
   * One line of a step's output, masked. `partial`: a piece shown before the line's end arrived
   * (progress output); the next `step.output` of the same step and stream continues the same
   * line (it may be empty: the line just ended).
   */
  | { type: 'step.output'; step: number; stream: 'stdout' | 'stderr'; text: string; partial?: true }
  | { type: 'step.finished'; step: number; name: string; phase: StepPhase; status: 'passed' | 'failed'; exitCode: number | null; durationMs: number; message?: string; hint?: string }
  | { type: 'phase.finished'; phase: StepPhase; status: 'passed' | 'failed' }
  | { type: 'artifacts.stored'; path: string; files: number; bytes: number }
  | { type: 'log'; level: 'info' | 'warn' | 'debug'; text: string }
  | { type: 'run.finished'; status: 'passed' | 'failed' | 'cancelled' | 'errored'; durationMs: number; error?: { message: string; hint?: string } };

export type RunEvent = EventBase & RunEventBody;
/**
 * A consumer of events. One that can fall behind (a file on a slow disk) also says so through
 * `congested`: a promise for the moment it has caught up, or undefined while it keeps up.
 */
export type EventSink = ((event: RunEvent) => void) & { congested?: () => Promise<void> | undefined };
export type RunEventType = RunEvent['type'];

/**
 * Stamps bodies with runId/seq/at and fans them out. A subscriber that throws is dropped (with
 * a note on stderr) and never fails the run. `congested()` is the first subscriber's wait, if
 * any is behind: the engine stops reading a step's output until it settles.
 *
 * A chatty step makes an event per output line (millions for a large log), so this is kept
 * lean: the ISO time is made once per millisecond, the subscriber list is only copied when one
 * is dropped, and the event is built with its keys in the same order as always (`--json`).
 */
export function createBus(runId: string, subscribers: EventSink[], now?: () => Date) {
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
  const emit = (body: RunEventBody): RunEvent => dispatch(Object.assign({ runId, seq: ++seq, at: stamp() }, body) as RunEvent);
  /** `emit` of a `step.output`, built as one literal: the hot path of a chatty step. */
  const output = (step: number, stream: 'stdout' | 'stderr', text: string, partial?: boolean): RunEvent =>
    dispatch(partial
      ? { runId, seq: ++seq, at: stamp(), type: 'step.output', step, stream, text, partial: true }
      : { runId, seq: ++seq, at: stamp(), type: 'step.output', step, stream, text });
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
  return { emit, output, congested };
}
export type Bus = ReturnType<typeof createBus>;
