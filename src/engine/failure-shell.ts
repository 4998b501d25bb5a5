import type { PlannedStep, RunPlan } from '../plan/types.ts';
import type { ContainerRuntime, TerminalStreams } from '../runtime/runtime.ts';
import type { Bus } from './events.ts';
import type { FailureState } from './failure-state.ts';

/** Shell state of the step's shell that a new shell sets for itself. */
const NOT_COPIED = new Set(['PWD', 'OLDPWD', 'SHLVL', '_', 'HOSTNAME']);
/** bash where the box has it (line editing, history), else sh. */
const SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; fi; exec sh'];

export interface FailureShellInput {
  plan: RunPlan;
  runtime: ContainerRuntime;
  containerId: string;
  bus: Bus;
  terminal: TerminalStreams | undefined;
  step: PlannedStep;
  exitCode: number | null;
  state: FailureState;
  signal?: AbortSignal;
  /** What the run does once the shell is left (a failed after-step has only the cleanup left). */
  then?: string;
}

/**
 * `--shell-on-failure` (docs/wercker-compat.md §8.4, werker's own; wercker's `--attach-on-error`, §4.7): an interactive shell in the
 * box, in the failed step's directory, with its exported env as the exec's environment (so
 * hidden values are there but never typed or printed by werker). The run goes on (after-steps,
 * cleanup) when the user leaves it. Without a terminal, or in a box without a shell, it says so.
 */
export async function openFailureShell(input: FailureShellInput): Promise<void> {
  const { runtime, terminal, bus } = input;
  const flag = input.plan.options.shellOnFailureFlag ?? '--shell-on-failure';
  if (!terminal || !runtime.execInteractive) {
    bus.emit({ type: 'log', level: 'warn', text: `${flag} needs a terminal: werker's input or output is not a TTY (or --json is on), so no shell is opened` });
    return;
  }
  const cmd = await boxShell(runtime, input.containerId, input.plan);
  if (!cmd) {
    bus.emit({ type: 'log', level: 'warn', text: `${flag}: the box ${input.plan.box.image} has no shell to open (no /bin/sh)` });
    return;
  }
  const env = shellEnv(input.state.env);
  const code = input.exitCode === null ? '' : ` with exit code ${input.exitCode}`;
  const restarted = input.state.restarted ? ' (the step ended the box\'s shell: the box was started again, its processes are gone)' : '';
  bus.emit({
    type: 'log', level: 'info',
    text: `step ${input.step.displayName} failed${code}: a shell in the box in ${input.state.cwd}, with the step's environment${restarted}; leave it (exit or Ctrl-D) to go on with ${input.then ?? 'the after-steps and cleanup'}`,
  });
  // Stopping werker (SIGTERM) while the shell is open ends it with the box, then cleanup runs.
  const onAbort = () => void runtime.killContainer(input.containerId).catch(() => undefined);
  input.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const status = await runtime.execInteractive(input.containerId, cmd, terminal, { env, workingDir: input.state.cwd });
    bus.emit({ type: 'log', level: 'info', text: `the shell exited with status ${status}; going on` });
  } catch (err) {
    bus.emit({ type: 'log', level: 'warn', text: `${flag}: could not open the shell: ${(err as Error).message}` });
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
  }
}

/** The step's env as an exec's `K=V` list, without what belongs to the step's own shell. */
export function shellEnv(env: Map<string, string>): string[] {
  return [...env].filter(([k]) => !NOT_COPIED.has(k)).map(([k, v]) => `${k}=${v}`);
}

/** /bin/sh (bash when present); without it, the box's own cmd, which the steps ran in. */
export async function boxShell(runtime: ContainerRuntime, containerId: string, plan: RunPlan): Promise<string[] | undefined> {
  const probe = await runtime.exec(containerId, ['/bin/sh', '-c', 'exit 0']).catch(() => undefined);
  if (probe && probe.exitCode === 0) return SHELL;
  // A cmd such as `/bin/busybox sh` or `/usr/bin/bash` (werker's default runs /bin/sh -c …).
  const own = plan.box.cmd;
  if (!own?.length || own.includes('-c')) return undefined;
  const works = await runtime.exec(containerId, [...own, '-c', 'exit 0']).catch(() => undefined);
  return works && works.exitCode === 0 ? own : undefined;
}
