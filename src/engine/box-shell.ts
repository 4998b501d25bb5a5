import { WerkerError } from '../errors.ts';
import type { RunPlan } from '../plan/types.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { ShellSession, type SessionOptions } from './shell-session.ts';

/** How long a fresh box may take to answer its first command; a shell answers in milliseconds. */
const HANDSHAKE_MS = 20_000;
const PROBE = ': werker-shell-check';
/** How much of a failed box's output the error shows. */
const LAST_LINES = 5;
const NO_SHELL_HINT = 'the box\'s main process must be a POSIX shell reading commands from stdin: use an image with /bin/sh ' +
  '(bash is used when present), or set the box\'s cmd to the shell\'s path, e.g. cmd: /usr/bin/bash';

/**
 * Starts the box and checks that its main process is a shell before any step runs
 * (docs/wercker-compat.md §4.4): one command must come back with its status. An image without
 * /bin/sh fails to start, a `cmd` that is no shell exits, echoes its input (cat) or stays silent;
 * each gets a message that says so instead of a Docker error or a step that never ends.
 */
export async function startBoxShell(plan: RunPlan, runtime: ContainerRuntime, boxId: string, opts: SessionOptions, signal?: AbortSignal): Promise<ShellSession> {
  const attached = await runtime.attach(boxId);
  try {
    await runtime.startContainer(boxId);
  } catch (err) {
    attached.close();
    const missing = missingExecutable(err);
    if (!missing) throw err;
    throw new WerkerError(`the box ${plan.box.image} has no shell: ${missing}`, 1, { cause: err, hint: NO_SHELL_HINT });
  }
  const session = new ShellSession(attached, opts);
  const { problem, lastLines } = await handshake(session, signal);
  if (!problem) return session;
  session.close();
  const what = `the box's main process (${describeCmd(plan)})`;
  if (problem === 'gone') {
    const info = await runtime.inspectContainer(boxId).catch(() => undefined);
    // The box keeps no daemon log (box.ts): what it printed came through the session.
    const logs = lastLines.join('\n').trim();
    const code = info && !info.running ? ` with exit code ${info.exitCode}` : '';
    throw new WerkerError(`${what} exited${code} before it ran a command: the box has no shell${logs ? `; its last output:\n${logs}` : ''}`, 1, { hint: NO_SHELL_HINT });
  }
  if (problem === 'cancelled') throw new WerkerError('cancelled while starting the box');
  const why = problem === 'echo' ? 'prints the commands werker sends instead of running them' : `did not answer a command within ${HANDSHAKE_MS / 1000} s`;
  throw new WerkerError(`${what} ${why}: it is not a shell`, 1, { hint: NO_SHELL_HINT });
}

type Problem = 'gone' | 'timeout' | 'echo' | 'cancelled';

/** The problem with the box's main process, if any, and the last lines it printed meanwhile. */
async function handshake(session: ShellSession, signal?: AbortSignal): Promise<{ problem: Problem | undefined; lastLines: string[] }> {
  const echoed = new AbortController();
  const lastLines: string[] = [];
  // A shell runs `:` and prints nothing; a program that copies stdin to stdout (cat, tee) sends
  // the line back. (Lines holding the status line's uuid never reach onLine.)
  const onLine = (_stream: string, line: string) => {
    if (line === PROBE) echoed.abort();
    if (lastLines.push(line) > LAST_LINES) lastLines.shift();
  };
  const abort = signal ? AbortSignal.any([echoed.signal, signal]) : echoed.signal;
  const r = await session.run([PROBE], { onLine, timeoutMs: HANDSHAKE_MS, signal: abort });
  const problem: Problem | undefined = r.kind === 'exited' ? undefined
    : r.kind === 'cancelled' ? (echoed.signal.aborted ? 'echo' : 'cancelled')
    : r.kind === 'gone' ? 'gone' : 'timeout';
  return { problem, lastLines };
}

/** `exec: "/bin/sh": stat /bin/sh: no such file or directory` and its kin, from a failed start. */
function missingExecutable(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const m = /exec: "([^"]+)": (stat [^:]+: no such file or directory|executable file not found in \$PATH)|(exec format error)|no such file or directory: unknown/.exec(message);
  if (!m) return undefined;
  if (m[1]) return `${m[1]} not found in the image`;
  return m[3] ? 'its cmd is not an executable for this platform (exec format error)' : 'its cmd was not found in the image';
}

function describeCmd(plan: RunPlan): string {
  return [...(plan.box.entrypoint ?? []), ...(plan.box.cmd ?? [])].join(' ') || 'the image\'s CMD';
}
