import type { RunEventBody } from '../engine/events.ts';
import type { ServerVariable } from '../plan/variables.ts';
import type { WorkflowSource } from '../plan/workflow.ts';
import type { TerminalChannel, TerminalRequest } from './terminal-protocol.ts';

/** The header that carries a claim's lease id on every call about the run (never in a URL). */
export const LEASE_HEADER = 'x-werker-lease';

/** A shared cache tar's sha-256 (hex), size in bytes and branch (URI-encoded), on download and upload. */
export const CACHE_DIGEST_HEADER = 'x-werker-cache-digest';
export const CACHE_SIZE_HEADER = 'x-werker-cache-size';
export const CACHE_BRANCH_HEADER = 'x-werker-cache-branch';

/** What a runner gets when it claims a run: everything needed to run it without the database. */
export interface Job {
  runId: number;
  /** The claim's attempt number (1 for the first claim; more after a runner died). */
  attempt: number;
  /**
   * The claim's id: every later call about the run must carry it, with the token that claimed
   * it. Reports with another lease (an older claim) or from another token are refused.
   */
  lease: string;
  /** The runner must heartbeat well within this, or the run is requeued. */
  leaseMs: number;
  application: { id: number; name: string; repository: string };
  pipeline: string;
  kind: 'build' | 'deploy';
  branch: string;
  commit: string;
  /** Pipeline variables in precedence order (later wins); protected ones are masked in every output. */
  variables: ServerVariable[];
  /** The run whose output this one deploys (download with `source`); null: the repository at `commit`. */
  sourceRunId: number | null;
  /** The server's public base URL, for WERCKER_*_URL. */
  baseUrl: string;
  /** Store the output when the run passes. Absent (an older server): builds only. Every workflow pipeline stores it (docs/wercker-compat.md §4.11). */
  artifacts?: boolean;
  /** A workflow pipeline: its source as planned (src/plan/workflow.ts), made on the runner with assembleWorkflowSource. */
  workflow?: WorkflowInputs;
  /**
   * The shared cache (docs/wercker-compat.md §4.10): download it into the cache dir before the
   * run (`getCache`); after a passed run, upload it (`checkCache`, then `putCache`) if `write`.
   * Absent (an older server): no shared cache.
   */
  cache?: { write: boolean };
  /**
   * Keep a failed step's box this long for terminals from the run's page (the server's
   * `--terminal-minutes`); absent or 0: no terminals (docs/wercker-compat.md §8.4, werker's own).
   */
  terminalMs?: number;
  /** "Retry from this step": resume from the snapshot run `run` left, at step `fromStep`, when this runner has it. */
  resume?: { run: number; fromStep: string };
}

/** A workflow pipeline's source: the plan's layout, the run holding each input's output, the env file. */
export interface WorkflowInputs {
  source: WorkflowSource;
  /** Each entry the source takes an output from, and the run whose output it is (fetch with `sourceOutput(…, runId)`). */
  inputs: { name: string; runId: number }[];
  /** Relative to the checkout: read as the ENVIRONMENT file (§3.1 item 5); the job's variables win over it. */
  envFile?: string;
}

export interface RunnerFinish {
  status: 'passed' | 'failed' | 'cancelled';
  durationMs: number;
  message?: string;
  /** Extra detail for the run.finished event (the engine's own error, with hint). */
  error?: { message: string; hint?: string };
  /** A failed run left a snapshot of its box on this runner, at this step ("Retry from this step" resumes there). */
  snapshotStep?: string;
}

/** A cache tar as the runner packed it (src/runner/shared-cache.ts): its sha-256 (hex) and size in bytes. */
export interface CacheBlob { digest: string; size: number }

/** The cache the server has for a run: of its branch, or of the application's default branch when its branch has none. */
export interface SharedCacheFound extends CacheBlob { branch: string }

/** The answer before an upload: the server has that tar already (`stored`), or whether the run may send it. */
export type CacheCheck = { stored: true; writable: true } | { stored: false; writable: true } | { stored: false; writable: false; reason: string };

/** The answer to an upload: stored, or why not (the run still passes; the runner logs the reason). */
export type CachePut = { stored: true } | { stored: false; status: number; reason: string };

/** Events as the runner sends them: bodies; the server assigns seq, runId and keeps `at`. */
export type RunnerEvent = RunEventBody & { at?: string };

/**
 * How a runner talks to the server: in-process for the embedded runner, over HTTP for
 * `werker runner`. Calls that return false mean "this runner no longer holds the run": stop it.
 */
export interface RunnerBackend {
  claim(runner: string): Promise<Job | undefined>;
  heartbeat(runId: number, lease: string): Promise<{ cancel: boolean } | undefined>;
  appendEvents(runId: number, lease: string, events: RunnerEvent[]): Promise<boolean>;
  finish(runId: number, lease: string, result: RunnerFinish): Promise<boolean>;
  putOutput(runId: number, lease: string, tar: ReadableStream<Uint8Array>): Promise<boolean>;
  /**
   * The tar of the job's source run output (or of `from`, one of its workflow inputs), only for
   * the claim that holds the run; undefined when there is none; throws (a WerkerError) when
   * retention removed it.
   */
  sourceOutput(runId: number, lease: string, from?: number): Promise<ReadableStream<Uint8Array> | undefined>;
  /** The run's shared cache (its branch's, else the default branch's), only for the claim that holds the run; undefined: none. */
  getCache(runId: number, lease: string): Promise<{ found: SharedCacheFound; tar: ReadableStream<Uint8Array> } | undefined>;
  /** Whether the server has this cache tar for the run already (then nothing is sent), or may take it; undefined: the run is no longer held. */
  checkCache(runId: number, lease: string, blob: CacheBlob): Promise<CacheCheck | undefined>;
  /** Uploads the run's cache tar; it becomes the cache only whole, with this digest and size. */
  putCache(runId: number, lease: string, blob: CacheBlob, tar: ReadableStream<Uint8Array>): Promise<CachePut>;
  /**
   * Gives a held run back before it ended (the runner or the server is stopping): the server
   * logs `reason` and queues the run again (a run being cancelled ends as cancelled). False: not held.
   */
  release(runId: number, lease: string, reason: string): Promise<boolean>;
  /**
   * While this runner holds a failed run's box: waits (long poll) for a terminal someone asked
   * for on the run's page; undefined when none came in time or `signal` ended the wait.
   */
  nextTerminal?(runId: number, lease: string, signal: AbortSignal): Promise<TerminalRequest | undefined>;
  /** Connects the runner's end of terminal `id`; undefined when the server no longer waits for it. */
  openTerminal?(runId: number, lease: string, id: string): Promise<TerminalChannel | undefined>;
}
