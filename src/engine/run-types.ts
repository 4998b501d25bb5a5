import type { ContainerRuntime, TerminalStreams } from '../runtime/runtime.ts';
import type { Bus } from './events.ts';
import type { Verbosity } from './transcript.ts';

// What runPipeline takes and returns, apart from run.ts: a local service's nested build
// (local-service.ts) is run by it and run.ts calls that, so these types cannot live in either.

export interface RunDeps {
  runtime: ContainerRuntime;
  bus: Bus;
  /** Aborting cancels the run (exit 130); in internal/watch it ends the watch instead (see runPhase). */
  signal?: AbortSignal;
  /** The user's terminal, when there is one (internal/shell). */
  terminal?: TerminalStreams;
  /**
   * A runner for a server that offers terminals: called with the failed box before the snapshot,
   * and the run waits until it resolves (docs/wercker-compat.md §8.4, werker's own).
   */
  holdFailedBox?: (box: HeldBox) => Promise<void>;
  /** `--verbose` / `--debug`: show the lines sent to the box's shell (engine/transcript.ts, docs/wercker-compat.md §3.5). */
  verbosity?: Verbosity;
}

/** A failed step's box as a terminal opens into it: its shell state at the failure. */
export interface HeldBox {
  runtime: ContainerRuntime;
  containerId: string;
  /** The step's exported environment as `K=V` (the exec's env: hidden values present, never typed). */
  env: string[];
  cwd: string;
  step: string;
  exitCode: number | null;
  /** The command that opens a shell in the box; undefined: the box has none. */
  shell(): Promise<string[] | undefined>;
}

export interface RunResult {
  status: 'passed' | 'failed' | 'cancelled' | 'errored';
  exitCode: number;
  durationMs: number;
  failedStep?: { name: string; message?: string };
  artifactsDir?: string;
}
