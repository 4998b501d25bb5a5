import type { RunEventBody } from '../../engine/events.ts';

/** What a runner gets when it claims a run: everything needed to run it without the database. */
export interface Job {
  runId: number;
  /** The claim's attempt number; every later call must carry it (a requeued run has a new one). */
  attempt: number;
  /** The runner must heartbeat well within this, or the run is requeued. */
  leaseMs: number;
  application: { id: number; name: string; repository: string };
  pipeline: string;
  kind: 'build' | 'deploy';
  branch: string;
  commit: string;
  /** Pipeline variables in precedence order (later wins); protected ones are masked in every output. */
  variables: { name: string; value: string; protected: boolean }[];
  /** The run whose output this one deploys (download with `source`); null: the repository at `commit`. */
  sourceRunId: number | null;
  /** The server's public base URL, for WERCKER_*_URL. */
  baseUrl: string;
}

export interface RunnerFinish {
  status: 'passed' | 'failed' | 'cancelled';
  durationMs: number;
  message?: string;
  /** Extra detail for the run.finished event (the engine's own error, with hint). */
  error?: { message: string; hint?: string };
}

/** Events as the runner sends them: bodies; the server assigns seq, runId and keeps `at`. */
export type RunnerEvent = RunEventBody & { at?: string };

/**
 * How a runner talks to the server: in-process for the embedded runner, over HTTP for
 * `werker runner`. Calls that return false mean "this runner no longer holds the run": stop it.
 */
export interface RunnerBackend {
  claim(runner: string): Promise<Job | undefined>;
  heartbeat(runId: number, attempt: number): Promise<{ cancel: boolean } | undefined>;
  appendEvents(runId: number, attempt: number, events: RunnerEvent[]): Promise<boolean>;
  finish(runId: number, attempt: number, result: RunnerFinish): Promise<boolean>;
  putOutput(runId: number, attempt: number, tar: ReadableStream<Uint8Array>): Promise<boolean>;
  /**
   * Gives a held run back before it ended (the runner or the server is stopping): the server
   * logs `reason` and queues the run again (a run being cancelled ends as cancelled). False: not held.
   */
  release(runId: number, attempt: number, reason: string): Promise<boolean>;
  /** The tar of the job's source run output, or undefined when there is none; throws (a WerkerError) when retention removed it. */
  sourceOutput(runId: number): Promise<ReadableStream<Uint8Array> | undefined>;
}
