import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { ServiceWait } from '../plan/types.ts';
import { PG_PORT, pgAccepting } from './pg-probe.ts';

/** How often readiness is polled: short, so the first step starts soon after the service is up. */
const POLL_MS = 25;

export interface WaitTarget {
  containerId: string;
  ip: string;
  tcpPorts: number[];
  hasHealthcheck: boolean;
  /** The role a PostgreSQL service was started with (POSTGRES_USER), for the readiness check's startup message. */
  pgUser?: string;
}

export class ServiceNotReadyError extends Error {}

/**
 * Waits until a service is ready (werker's fix for docs/wercker-compat.md §9.1): every exposed TCP
 * port (or the ones named in `wait.port`) accepts a connection, the image HEALTHCHECK (if any)
 * reports healthy, and the optional `wait:` command / HTTP URL / log line succeeds. Fails fast when
 * the container exits. Returns a short description of what was waited for.
 */
export async function waitForService(runtime: ContainerRuntime, target: WaitTarget, wait: ServiceWait, signal?: AbortSignal): Promise<string> {
  const deadline = Date.now() + wait.timeoutMs;
  const ports = wait.ports ?? target.tcpPorts;
  const checks: [string, () => Promise<boolean>][] = [];
  // Port 5432 answers a startup message once PostgreSQL takes queries (pg-probe.ts), not merely once it listens.
  for (const port of ports) checks.push([`port ${port}`, port === PG_PORT ? () => pgAccepting(target.ip, port, target.pgUser) : () => tcpOpen(target.ip, port)]);
  if (target.hasHealthcheck) checks.push(['healthcheck', async () => (await runtime.inspectContainer(target.containerId)).health === 'healthy']);
  if (wait.command) {
    const command = wait.command;
    checks.push([`command "${command}"`, async () => (await runtime.exec(target.containerId, ['sh', '-c', command])).exitCode === 0]);
  }
  if (wait.http) {
    const url = wait.http.startsWith('http') ? wait.http : `http://${target.ip}:${ports[0] ?? 80}${wait.http.startsWith('/') ? '' : '/'}${wait.http}`;
    checks.push([`GET ${url}`, () => httpOk(url)]);
  }
  if (wait.log) {
    const re = new RegExp(wait.log, 'm');
    checks.push([`log /${wait.log}/`, async () => re.test(await runtime.containerLogs(target.containerId))]);
  }
  let pending = checks;
  while (pending.length) {
    if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
    const results = await Promise.all(pending.map(async ([name, check]) => [name, await check().catch(() => false)] as const));
    pending = pending.filter((_, i) => !results[i]![1]);
    if (!pending.length) break;
    const info = await runtime.inspectContainer(target.containerId);
    if (!info.running) throw new ServiceNotReadyError(`the service exited (code ${info.exitCode}) before it was ready`);
    if (Date.now() > deadline) {
      throw new ServiceNotReadyError(`not ready after ${Math.round(wait.timeoutMs / 1000)} s: still waiting for ${pending.map(([n]) => n).join(', ')}`);
    }
    await sleep(POLL_MS, undefined, signal ? { signal } : undefined).catch(() => undefined);
  }
  return checks.map(([n]) => n).join(', ') || 'started';
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.status >= 200 && res.status < 400;
}
