import path from 'node:path';
import type { Store } from '../store/db.ts';
import { applicationService } from './applications.ts';
import type { ServerCore } from './core.ts';
import { handlePushHook } from './hook.ts';
import { LiveEvents } from './live.ts';
import { RepoMirrors } from './repos.ts';
import { runService } from './runs.ts';
import { userService } from './users.ts';

export interface CoreOptions {
  /** Where mirrors and run outputs live. */
  dataDir: string;
  /** Lease of a claimed run without heartbeat (default 30 s). */
  leaseMs?: number;
  /** The server's public URL, no trailing slash (see ServerContext.baseUrl). */
  baseUrl?: string;
  maxAttempts?: number;
}

export type Core = ServerCore & {
  store: Store;
  /** Requeues runs whose lease ran out; returns their ids. The server calls it on a timer. */
  reap(): Promise<number[]>;
  onQueued(fn: () => void): () => void;
  /** Sets `baseUrl` (links, webhook URLs, WERCKER_*_URL in runs) once the server knows where it listens. */
  setBaseUrl(url: string): void;
  /** Starts the reaper timer; returns its stop function. */
  startReaper(intervalMs?: number): () => void;
};

/** Composes the server's services over one store. */
export function createServerCore(store: Store, options: CoreOptions): Core {
  const mirrors = new RepoMirrors(path.join(options.dataDir, 'repos'));
  const live = new LiveEvents();
  const users = userService(store);
  const apps = applicationService(store, mirrors);
  const leaseMs = options.leaseMs ?? 30_000;
  const runOptions = { dataDir: options.dataDir, leaseMs, baseUrl: options.baseUrl ?? 'http://localhost:7373', maxAttempts: options.maxAttempts ?? 3 };
  const runs = runService(store, apps, mirrors, live, runOptions);
  const { appRow: _a, jobVariables: _j, ...appMembers } = apps;
  const { reap, onQueued, runners, ...runMembers } = runs;
  const core: Core = {
    get baseUrl() {
      return runOptions.baseUrl;
    },
    ...appMembers,
    ...runMembers,
    auth: users,
    authenticator: users,
    runners,
    store,
    reap,
    onQueued,
    setBaseUrl: (url) => {
      runOptions.baseUrl = url;
    },
    handlePushHook: (appName, raw, headers) => handlePushHook(core, appName, raw, headers),
    startReaper(intervalMs = Math.max(500, Math.min(leaseMs / 2, 10_000))) {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        reap().catch((err: Error) => process.stderr.write(`werker server: requeueing expired runs failed: ${err.message}\n`)).finally(() => (busy = false));
      }, intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
  return core;
}
