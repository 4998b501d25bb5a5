import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../errors.ts';
import { connectDocker } from '../../runtime/docker/client.ts';
import { httpBackend } from '../../runner/http-backend.ts';
import { startRunner } from '../../runner/worker.ts';
import type { Output } from '../output.ts';

export interface RunnerFlags {
  server?: string;
  token?: string;
  name?: string;
  concurrency: string;
  workDir?: string;
  dockerHost?: string;
  pollMs: string;
}

/**
 * `werker runner --server URL`: takes runs from a werker server and runs them on this machine's
 * Docker engine until SIGINT/SIGTERM. The token comes from --token or WERKER_RUNNER_TOKEN /
 * WERKER_TOKEN (the env keeps it out of `ps`).
 */
export async function runnerCommand(flags: RunnerFlags, out: Output): Promise<number> {
  const server = flags.server ?? process.env.WERKER_SERVER;
  const token = flags.token ?? process.env.WERKER_RUNNER_TOKEN ?? process.env.WERKER_TOKEN;
  if (!server) throw new UsageError('werker runner needs --server URL (or WERKER_SERVER)');
  if (!token) throw new UsageError('werker runner needs a runner token', { hint: 'WERKER_RUNNER_TOKEN=… werker runner --server URL; make one with `werker server --create-runner-token NAME`' });
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency takes a count, not "${flags.concurrency}"`);
  const backend = httpBackend(server, token);
  await backend.ping();
  const runtime = await connectDocker(flags.dockerHost ? { host: flags.dockerHost } : {});
  const name = flags.name ?? `${os.hostname()}-${process.pid}`;
  const runner = startRunner({
    backend, runtime, name, concurrency, idlePollMs: Number(flags.pollMs) || 1000,
    workRoot: path.resolve(flags.workDir ?? path.join(os.tmpdir(), 'werker-runner')), log: (l) => out.stderr(l),
  });
  out.stderr(`werker runner ${name}: taking runs from ${server} (${concurrency} at a time)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  out.stderr(`werker runner ${name}: stopping; runs in progress go back to the server's queue`);
  await runner.stop({ reason: `runner ${name} stopped (SIGTERM/SIGINT)` });
  return 0;
}
