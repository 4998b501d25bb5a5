/**
 * Everything observable about a run is one of these events, in order. The engine only calls
 * `sink(event)`; reporters (TTY, plain, --json, log file) and later the server consume them.
 * The bus (events.ts) masks every text field of every event as it enters, so no consumer can
 * leak a secret and no producer needs to remember to mask. Types only: the web UI's browser
 * code imports them too.
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
  /**
   * A phase ended. `setup` (wercker's `setup environment` step, docs/wercker-compat.md §4.1): the
   * images, services and box are up, or one of them failed; with how long since `run.started`.
   */
  | { type: 'phase.finished'; phase: StepPhase; status: 'passed' | 'failed'; durationMs?: number }
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
