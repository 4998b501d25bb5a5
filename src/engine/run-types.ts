import type { ContainerRuntime, TerminalStreams } from '../runtime/runtime.ts';
import type { Bus } from './events.ts';

// What runPipeline takes and returns, apart from run.ts: a local service's nested build
// (local-service.ts) is run by it and run.ts calls that, so these types cannot live in either.

export interface RunDeps {
  runtime: ContainerRuntime;
  bus: Bus;
  /** Aborting cancels the run (exit 130); in internal/watch it ends the watch instead (see runPhase). */
  signal?: AbortSignal;
  /** The user's terminal, when there is one (internal/shell). */
  terminal?: TerminalStreams;
}

export interface RunResult {
  status: 'passed' | 'failed' | 'cancelled' | 'errored';
  exitCode: number;
  durationMs: number;
  failedStep?: { name: string; message?: string };
  artifactsDir?: string;
}
