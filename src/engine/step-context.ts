import type { RunPlan } from '../plan/types.ts';
import type { ContainerRuntime, TerminalStreams } from '../runtime/runtime.ts';
import type { Bus } from './events.ts';
import type { ShellSession } from './shell-session.ts';

// What a step runs with and how it ended: shared by the step runner and the internal steps it
// calls, apart from both so that neither imports the other for its types.

export interface StepContext {
  plan: RunPlan;
  /** The run's network and labels, for internal steps that start containers. */
  network: string;
  labels: Record<string, string>;
  runtime: ContainerRuntime;
  containerId: string;
  session: ShellSession;
  bus: Bus;
  signal?: AbortSignal;
  /** The user's terminal, when werker runs in one (internal/shell needs it). */
  terminal?: TerminalStreams;
}

export interface StepOutcome {
  status: 'passed' | 'failed' | 'cancelled';
  exitCode: number | null;
  message?: string;
  hint?: string;
  /** The step passed because the user ended it (Ctrl-C in internal/watch): run no more main steps. */
  stopRun?: boolean;
}
