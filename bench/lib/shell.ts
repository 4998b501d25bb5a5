import { spawn } from 'node:child_process';
import { elapsed } from './timing.ts';

export interface ShellResult {
  /** Wall time from spawn to exit. */
  ms: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a bash script (`set -euo pipefail` prepended) and times it; a failing script throws with
 * its stderr. Baselines are written as shell scripts on purpose: that is how a person would do
 * the same work by hand with the docker CLI.
 */
export function runBash(script: string, opts: { env?: Record<string, string> } = {}): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('bash', ['-c', `set -euo pipefail\n${script}`], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = elapsed(started);
      if (code === 0) resolve({ ms, stdout, stderr });
      else reject(new Error(`script failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/** One docker CLI call; returns its trimmed stdout, throws on failure. */
export async function docker(args: string[]): Promise<string> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return (await runBash(`docker ${quoted}`)).stdout.trim();
}
