import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';
import { repoRoot } from './corpus.ts';
import { waitFor } from './wait-for.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * How to start the CLI: the bundle the integration projects build once per run
 * (test/helpers/cli-build.ts), as a user's installed bin runs; else the source through tsx
 * (by absolute URL, so the CLI can run from any directory).
 */
export function cliCommand(): string[] {
  const bin = inject('werkerBin');
  return bin ? [bin] : ['--import', import.meta.resolve('tsx'), path.join(repoRoot, 'src/cli/main.ts')];
}

/** Spawns the werker CLI as a user would. */
export function spawnCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [...cliCommand(), ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export const runCli = (args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> => spawnCli(args, opts).done;

export const fixture = (name: string): string => path.join(repoRoot, 'test/fixtures/pipelines', name);

export interface TerminalRun {
  code: number | null;
  /** Everything the terminal showed (stdout and stderr of the pty). */
  screen: string;
  /** From the first key typed to the end of the run. */
  typedToEndMs: number;
}

/**
 * The CLI on a pseudo-terminal (util-linux `script`), as from a user's terminal: `keys` are typed
 * once `ready` is on the screen, one chunk after another; `onScreen` sees the screen as it grows.
 */
export async function cliOnTerminal(
  args: string[], ready: string, keys: string[], opts: { env?: Record<string, string>; onScreen?: (screen: string) => void } = {},
): Promise<TerminalRun> {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const cli = [process.execPath, ...cliCommand(), ...args].map(quote).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', cli, '/dev/null'], { env: { ...process.env, ...opts.env, NO_COLOR: '1', TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  child.stdout!.on('data', (c: Buffer) => {
    screen += c.toString();
    opts.onScreen?.(screen);
  });
  child.stderr!.on('data', (c: Buffer) => (screen += c.toString()));
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    await waitFor(`"${ready}" on the terminal`, async () => (screen.includes(ready) ? true : undefined), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; the screen:\n${screen}`);
    });
    const typing = Date.now();
    for (const k of keys) {
      child.stdin!.write(k);
      await new Promise((r) => setTimeout(r, 700));
    }
    const code = await done;
    return { code, screen, typedToEndMs: Date.now() - typing };
  } finally {
    child.stdin!.end();
    child.kill();
  }
}
