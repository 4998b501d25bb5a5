import { WerkerError } from '../errors.ts';
import type { ExecResult, RemoteShell } from '../runtime/ssh/connection.ts';
import { shellJoin } from '../util/shell-quote.ts';
import type { RemoteCommand } from './commands.ts';

/** A release that did not go as asked: the step fails with this message (the live release keeps serving). */
export class ReleaseError extends WerkerError {
  constructor(message: string, hint?: string) {
    super(message, 1, hint ? { hint } : {});
  }
}

export interface RunOptions {
  /** Print the command's output lines (long commands such as pull). */
  stream?: boolean;
  /** Don't print the command (polls, reads). */
  quiet?: boolean;
  timeoutMs?: number;
}

/** How a command line is shown: the argv quoted once, and what stdin holds (never its content). */
export const showCommand = (c: RemoteCommand): string => `${shellJoin(c.argv)}${c.note ? `  <<< ${c.note}` : ''}`;

/** Runs RemoteCommands on one host, printing each as `$ argv` before it runs. */
export class Remote {
  constructor(readonly shell: RemoteShell, private readonly print: (line: string) => void) {}

  get host(): string {
    return this.shell.host;
  }

  say(line: string): void {
    this.print(line);
  }

  /** Runs it; a non-zero exit is returned, not thrown. */
  async try(c: RemoteCommand, o: RunOptions = {}): Promise<ExecResult> {
    if (!o.quiet) this.print(`$ ${showCommand(c)}`);
    return this.shell.exec(c.argv, {
      ...(c.stdin !== undefined ? { stdin: c.stdin } : {}),
      ...(o.stream ? { onLine: (_s: 'stdout' | 'stderr', line: string) => this.print(`  ${line}`) } : {}),
      timeoutMs: o.timeoutMs ?? 120_000,
    });
  }

  /** Runs it; a non-zero exit fails the release with the command's own words. */
  async run(c: RemoteCommand, o: RunOptions = {}): Promise<ExecResult> {
    const r = await this.try(c, o);
    if (r.code !== 0) throw new ReleaseError(`${this.host}: \`${shellJoin(c.argv.slice(0, 3))}…\` failed (exit ${r.code ?? r.signal ?? '?'}): ${lastLines(r)}`);
    return r;
  }

  /** The trimmed stdout of a read, or undefined when the command fails (file or container missing). */
  async read(c: RemoteCommand): Promise<string | undefined> {
    const r = await this.try(c, { quiet: true });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  async runAll(cs: RemoteCommand[], o: RunOptions = {}): Promise<void> {
    for (const c of cs) await this.run(c, o);
  }
}

export function lastLines(r: ExecResult, n = 3): string {
  const text = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-n).join(' / ');
  return text || '(no output)';
}
