import type { RunPlan } from '../plan/types.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { attachSession } from './box.ts';
import { readShellEnv } from './internal/sync.ts';
import type { SessionOptions, ShellSession } from './shell-session.ts';

// The box as a main step left it when it failed: the shell's exported env and working directory,
// for the shell on failure and the snapshot (docs/wercker-compat.md §8.4, werker's own).

const EXIT_ENV = '/tmp/.werker-exit-env';
const EXIT_CWD = '/tmp/.werker-exit-cwd';

export const keepsFailureState = (plan: RunPlan): boolean => Boolean(plan.options.shellOnFailure || plan.options.snapshot);

/**
 * A step that fails under `set -e` (or calls `exit`) ends the box's shell, and its env with it
 * (§4.5). This EXIT trap, set with each main step's variables, writes them to the box's /tmp
 * first (readable by its owner only); readFailureState reads and removes them.
 */
export function exitTrapLine(): string {
  return `trap '(umask 077; { env -0 > ${EXIT_ENV} || env > ${EXIT_ENV}; pwd > ${EXIT_CWD}; } 2>/dev/null)' EXIT`;
}

export interface FailureState {
  env: Map<string, string>;
  cwd: string;
  /** A shell in the box: the step's own when it is still alive, else one in the restarted box. */
  session: ShellSession;
  /** The step had ended the shell: the box was started again (its processes are gone). */
  restarted: boolean;
}

export interface FailedBox { plan: RunPlan; runtime: ContainerRuntime; containerId: string; session: ShellSession }

/**
 * Reads the failed step's env and dir (restarting a box whose shell ended) and clears the trap
 * and its files. A step that timed out still holds the shell (`busy`): the restart ends it, and
 * only the box's files are left (the env is empty, the dir the source dir).
 */
export async function readFailureState(box: FailedBox, opts: SessionOptions, busy = false): Promise<FailureState> {
  if (box.session.alive && !busy) {
    const env = await readShellEnv(box.session);
    const cwd = (await output(box.session, 'pwd')).trim() || box.plan.paths.sourceDir;
    await box.session.run(['trap - EXIT'], {});
    return { env, cwd, session: box.session, restarted: false };
  }
  box.session.close();
  const session = await attachSession(box.runtime, box.containerId, true, opts);
  const dump = await output(session, `cat ${EXIT_ENV} 2>/dev/null`);
  const cwd = (await output(session, `cat ${EXIT_CWD} 2>/dev/null`)).trim() || box.plan.paths.sourceDir;
  await session.run([`rm -f ${EXIT_ENV} ${EXIT_CWD}`], {});
  return { env: parseEnvDump(dump), cwd, session, restarted: true };
}

async function output(session: ShellSession, command: string): Promise<string> {
  const lines: string[] = [];
  const r = await session.run([command], { onLine: (stream, line) => stream === 'stdout' && lines.push(line) });
  return r.kind === 'exited' ? lines.join('\n') : '';
}

/** `env -0` output (values may hold newlines), else plain `env`, as sync.ts reads it. */
export function parseEnvDump(text: string): Map<string, string> {
  const env = new Map<string, string>();
  const entries = text.includes('\0') ? text.split('\0') : text.split('\n');
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq).replace(/^\n/, ''), entry.slice(eq + 1));
  }
  return env;
}
