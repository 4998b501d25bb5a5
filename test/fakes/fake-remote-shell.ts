import type { ExecResult, RemoteShell, RunningCommand } from '../../src/runtime/ssh/connection.ts';

/** The first words of the health probe's command line (src/deploy/probe.ts), to answer it by. */
export const PROBE = 'sh -c b=$(mktemp)';

export type Answer = Partial<ExecResult> | undefined;

/** A server that answers each command by its first words, and records what ran. */
export class FakeServer implements RemoteShell {
  readonly ran: string[] = [];
  constructor(private readonly answers: Record<string, Answer | ((stdin?: string) => Answer)>, readonly host: string = 'srv') {}

  #answer(argv: readonly string[], stdin?: string): ExecResult {
    const line = argv.join(' ');
    this.ran.push(line);
    const key = Object.keys(this.answers).filter((k) => line.startsWith(k)).sort((a, b) => b.length - a.length)[0];
    const a = key === undefined ? undefined : this.answers[key];
    return { code: 0, stdout: '', stderr: '', ...(typeof a === 'function' ? a(stdin) : a) };
  }

  async exec(argv: readonly string[], opts: { stdin?: string } = {}): Promise<ExecResult> {
    return this.#answer(argv, opts.stdin);
  }

  async start(argv: readonly string[]): Promise<RunningCommand> {
    const r = this.#answer(argv);
    const done = Promise.resolve(r);
    return { firstLine: Promise.resolve(r.code === 0 ? 'locked' : undefined), done, end: async () => (this.ran.push('(unlock)'), r) };
  }

  close(): void {}
}

