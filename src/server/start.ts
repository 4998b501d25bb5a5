import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { UsageError } from '../errors.ts';
import { openStore } from '../store/db.ts';
import { createApp } from './app.ts';
import { prepareDataDir } from './storage.ts';
import { configLimits, type ServerLimits } from './limits.ts';
import { startRunner, type RunningRunner } from '../runner/worker.ts';
import type { DeliveryPolicy } from './notifications/sender.ts';
import type { SmtpSettings } from './notifications/smtp-settings.ts';
import { createServerCore, type Core, type CoreOptions } from './service.ts';
import { attachTerminalSockets } from './terminal-socket.ts';

export interface ServerOptions {
  dataDir: string;
  /** `postgres://…`; default: `<data-dir>/werker.db` (SQLite). */
  database?: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The URL users reach the server at (default http://host:port). */
  baseUrl?: string;
  leaseMs?: number;
  /** Days a finished run's output is kept (default 30; 0 = forever); see retention.ts. */
  keepOutputsDays?: number;
  /** Embedded runner slots; 0 for none. */
  runners: number;
  /** Needed when runners > 0. */
  runtime?: ContainerRuntime;
  log?: (line: string) => void;
  /** Overrides of DEFAULT_LIMITS (limits.ts). */
  limits?: Partial<ServerLimits>;
  /** `--trust-proxy`: believe X-Forwarded-Proto/-For. */
  trustProxy?: boolean;
  /** `--allow-local-repos DIR`: where local-path repositories may be. */
  allowLocalRepos?: string[];
  /** `--smtp-*`: how email notifications go out (none: email rules are refused). */
  smtp?: SmtpSettings;
  /** Retries and timeouts of notification deliveries (tests shorten them). */
  notificationPolicy?: Partial<DeliveryPolicy>;
  /** The clock of the schedules and the retention sweep (tests pass their own). */
  now?: () => Date;
  /** `--terminal-minutes N`: runners keep a failed step's box N minutes for terminals (0: none). */
  terminalMinutes?: number;
}

export interface RunningServer {
  url: string;
  core: Core;
  runner?: RunningRunner;
  /**
   * Stops taking requests and runs: the embedded runner's runs get `graceMs` (default 0) to
   * finish, then go back to the queue with a line in their log saying why; then the store closes.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** The core's options from the server's. */
function coreOptions(opts: ServerOptions, baseUrl: string, log: (line: string) => void): CoreOptions {
  return {
    dataDir: opts.dataDir, baseUrl, ...(opts.leaseMs ? { leaseMs: opts.leaseMs } : {}),
    ...(opts.keepOutputsDays !== undefined ? { keepOutputsDays: opts.keepOutputsDays } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}), trustProxy: opts.trustProxy ?? false, allowLocalRepos: opts.allowLocalRepos ?? [],
    ...(opts.smtp ? { smtp: opts.smtp } : {}), ...(opts.notificationPolicy ? { notificationPolicy: opts.notificationPolicy } : {}), ...(opts.now ? { now: opts.now } : {}),
    terminalMinutes: opts.terminalMinutes ?? 0, log,
  };
}

/** Resolves once the socket listens; a taken port or a refused address is a usage error saying what to do. */
async function listening(server: ReturnType<typeof serve>, opts: ServerOptions): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      throw new UsageError(`can't listen on ${opts.host}:${opts.port}: ${e.code === 'EADDRINUSE' ? 'the port is taken' : 'permission denied'}`, { hint: 'pass another --port (or --host), or stop what listens there' });
    }
    throw err;
  }
}

/** Store → core → HTTP server (+ embedded runner, the lease reaper, the output sweep and the schedules). */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Checked before anything is opened: a failure later would leave the store and the socket open.
  const runtime = opts.runners > 0 ? opts.runtime : undefined;
  if (opts.runners > 0 && !runtime) throw new Error('an embedded runner needs a container runtime');
  const baseHint = opts.baseUrl === undefined ? `http://${opts.host}:${opts.port}` : publicBaseUrl(opts.baseUrl);
  const sqliteFile = opts.database ? undefined : path.join(opts.dataDir, 'werker.db');
  prepareDataDir(opts.dataDir, sqliteFile, log);
  const store = await openStore(opts.database ?? sqliteFile!);
  const core = createServerCore(store, coreOptions(opts, baseHint, log));
  const server = serve({ fetch: createApp(core).fetch, hostname: opts.host, port: opts.port });
  await listening(server, opts).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const detachSockets = attachTerminalSockets(server as import('node:http').Server, core, log);
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  if (opts.baseUrl === undefined) {
    // 0.0.0.0 / :: is no address to link to: the machine's name is the better guess.
    const wildcard = address.address === '0.0.0.0' || address.address === '::';
    core.setBaseUrl(wildcard ? `http://${os.hostname()}:${address.port}` : url);
    if (wildcard) log(`werker server: links and webhook URLs use ${core.baseUrl}; pass --base-url if users reach the server under another name`);
  }
  const stopReaper = core.startReaper();
  const stopSweep = core.startOutputSweep();
  const stopScheduler = core.startScheduler();
  // Notification deliveries a stopped (or dead) server process left unfinished continue here.
  core.notifier.start();
  core.statusReporter.start();
  let runner: RunningRunner | undefined;
  if (runtime) {
    runner = startRunner({
      backend: core.runners, runtime, name: `embedded@${os.hostname()}`, concurrency: opts.runners,
      workRoot: path.join(opts.dataDir, 'work'), wake: (ring) => core.onQueued(ring), log, configLimits: configLimits(core.limits),
    });
  }
  return {
    url, core, ...(runner ? { runner } : {}),
    async close(options = {}) {
      stopReaper();
      await stopSweep();
      await stopScheduler();
      await runner?.stop({ ...options, reason: 'the server stopped (SIGTERM or shutdown)' });
      detachSockets();
      // SSE streams keep connections open; close them with the server.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Runs that ended while stopping still tell their listeners (commit statuses, notifications; their
      // retries are bounded) before the store closes; then notification retries end (an attempt in flight has a timeout)
      // and their deliveries are let go in the store: the next server process continues them (notifications/sender.ts);
      // commit statuses still owed are let go the same way (forges/statuses.ts).
      await core.runChanges.settled().then(() => Promise.all([core.notifier.stop(), core.statusReporter.stop()]));
      await store.close();
    },
  };
}

/** `--base-url`: an absolute http(s) URL, kept without a trailing slash so paths can be appended. */
export function publicBaseUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UsageError(`--base-url takes an absolute URL, not "${raw}"`, { hint: 'e.g. --base-url https://ci.example.com' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--base-url must be an http:// or https:// URL, not "${raw}"`);
  if (parsed.username || parsed.password || parsed.search || parsed.hash) throw new UsageError('--base-url takes a plain URL, without credentials, query or fragment');
  return parsed.href.replace(/\/+$/, '');
}
