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
  | { type: 'step.output'; step: number; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'step.finished'; step: number; name: string; phase: StepPhase; status: 'passed' | 'failed'; exitCode: number | null; durationMs: number; message?: string; hint?: string }
  | { type: 'phase.finished'; phase: StepPhase; status: 'passed' | 'failed' }
  | { type: 'artifacts.stored'; path: string; files: number; bytes: number }
  | { type: 'log'; level: 'info' | 'warn' | 'debug'; text: string }
  | { type: 'run.finished'; status: 'passed' | 'failed' | 'cancelled' | 'errored'; durationMs: number; error?: { message: string; hint?: string } };

export type RunEvent = EventBase & RunEventBody;
export type EventSink = (event: RunEvent) => void;
export type RunEventType = RunEvent['type'];

/**
 * Stamps bodies with runId/seq/at and fans them out. A subscriber that throws is dropped (with
 * a note on stderr) and never fails the run.
 */
export function createBus(runId: string, subscribers: EventSink[], now: () => Date = () => new Date()) {
  let seq = 0;
  const live = [...subscribers];
  const emit = (body: RunEventBody): RunEvent => {
    const event = { runId, seq: ++seq, at: now().toISOString(), ...body } as RunEvent;
    for (const sub of [...live]) {
      try {
        sub(event);
      } catch (err) {
        live.splice(live.indexOf(sub), 1);
        process.stderr.write(`werker: an output consumer failed and was dropped: ${(err as Error).message}\n`);
      }
    }
    return event;
  };
  return { emit };
}
export type Bus = ReturnType<typeof createBus>;
