import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './corpus.ts';

/** A `werker server` process of the browser tests: where it answers, and everything it printed. */
export interface ServerProcess {
  base: string;
  child: ChildProcess;
  output: () => string;
}

const cliArgs = ['--import', import.meta.resolve('tsx'), path.join(repoRoot, 'src/cli/main.ts')];

/** `werker server --create-user NAME`, the password on stdin. */
export function createServerUser(dataDir: string, user: { name: string; password: string }): void {
  execFileSync(process.execPath, [...cliArgs, 'server', '--data-dir', dataDir, '--create-user', user.name], { input: `${user.password}\n`, stdio: 'pipe', cwd: repoRoot });
}

/** `werker server` on a free loopback port (it prints where it listens), with its embedded runner. */
export async function startServerProcess(dataDir: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...cliArgs, 'server', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--runners', '1', '--allow-local-repos', tmpdir()], {
    cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  for (let i = 0; ; i++) {
    const base = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
    if (base && (await fetch(`${base}/healthz`).then((r) => r.ok, () => false))) return { base, child, output: () => output };
    if (child.exitCode !== null) throw new Error(`werker server exited (${child.exitCode}):\n${output}`);
    if (i > 300) throw new Error(`werker server did not answer within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGTERM, and SIGKILL after 20 s; returns once the process has exited. */
export async function stopServerProcess(server: ServerProcess | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
