import { setTimeout as sleep } from 'node:timers/promises';
import { WerkerError } from '../../errors.ts';
import type { ContainerRuntime } from '../../runtime/runtime.ts';
import type { BatchResult, ShellSession } from '../shell-session.ts';

/**
 * Walks /proc from inside the box (no ps or pkill needed, only sh's builtins): `children ROOT`
 * prints ROOT's child processes; `kill ROOT SIG KEEP…` sends SIG to every descendant of ROOT
 * except ROOT itself and the subtrees of KEEP, and prints how many it signalled. `comm` may hold
 * spaces or parentheses, so the ppid is read after the last `) ` of /proc/PID/stat.
 */
const PROC_SCRIPT = `
mode=$1 root=$2 sig=$3; shift 3
keep=" $* " tree=" $root " more=1
while [ "$more" = 1 ]; do
  more=0
  for f in /proc/[0-9]*/stat; do
    pid=\${f#/proc/}; pid=\${pid%/stat}
    case "$tree$keep" in *" $pid "*) continue ;; esac
    read -r line 2>/dev/null < "$f" || continue
    set -- \${line##*) }
    case "$tree" in *" $2 "*) tree="$tree$pid " more=1 ;; esac
  done
  [ "$mode" = children ] && break
done
n=0
for pid in $tree; do
  [ "$pid" = "$root" ] && continue
  if [ "$mode" = children ]; then echo "$pid"; else kill -s "$sig" "$pid" 2>/dev/null && n=$((n + 1)); fi
done
if [ "$mode" = kill ]; then echo "$n"; fi
`;

/** SIGINT first (what Ctrl-C in a terminal sends), then TERM, then KILL for code that ignores it. */
const ESCALATION: [string, number][] = [['INT', 3000], ['TERM', 2000], ['KILL', 2000]];

/**
 * The processes of internal/watch's `code`, which runs in the foreground of the box's shell.
 * They are the shell's descendants, minus the children it already had when the watch began
 * (background jobs of earlier steps, e.g. a database started with `&`): stopping the code
 * signals exactly those, never the shell itself — with the default box cmd the shell is PID 1's
 * child, and killing it would end the session.
 */
export class WatchedCode {
  private constructor(
    private readonly runtime: ContainerRuntime,
    private readonly containerId: string,
    private readonly shellPid: string,
    private readonly keep: string[],
  ) {}

  static async find(runtime: ContainerRuntime, containerId: string, session: ShellSession): Promise<WatchedCode> {
    let pid = '';
    const r = await session.run(['echo "$$"'], { onLine: (stream, line) => stream === 'stdout' && (pid = line.trim()) });
    if (r.kind !== 'exited' || !/^\d+$/.test(pid)) throw new WerkerError('internal/watch could not find the box shell\'s process id');
    const keep = (await procScript(runtime, containerId, ['children', pid, '-'])).split('\n').filter((l) => /^\d+$/.test(l));
    return new WatchedCode(runtime, containerId, pid, keep);
  }

  /** Sends `signal` to the code's processes; resolves with how many there were. */
  async signal(signal: string): Promise<number> {
    return Number((await procScript(this.runtime, this.containerId, ['kill', this.shellPid, signal, ...this.keep])).trim()) || 0;
  }

  /** Stops the code and waits until its batch in the shell has ended. */
  async stop(batch: Promise<BatchResult>): Promise<BatchResult> {
    for (const [signal, waitMs] of ESCALATION) {
      await this.signal(signal);
      const ended = await Promise.race([batch, sleep(waitMs).then(() => undefined)]);
      if (ended) return ended;
    }
    throw new WerkerError('internal/watch could not stop its code: it outlived SIGINT, SIGTERM and SIGKILL', 1, {
      hint: 'a process of the code may be stuck in the kernel (D state); `docker top` on the box shows it',
    });
  }
}

async function procScript(runtime: ContainerRuntime, containerId: string, args: string[]): Promise<string> {
  const r = await runtime.exec(containerId, ['/bin/sh', '-c', PROC_SCRIPT, 'werker-watch', ...args]);
  if (r.exitCode !== 0) throw new WerkerError(`internal/watch could not list the box's processes: ${r.stderr.trim() || `exit code ${r.exitCode}`}`);
  return r.stdout;
}
