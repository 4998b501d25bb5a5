import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';
import { repoRoot } from './corpus.ts';

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
