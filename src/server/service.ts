import path from 'node:path';
import type { Store } from '../store/db.ts';
import { applicationService } from './applications.ts';
import type { ServerCore } from './core.ts';
import { handlePushHook, type DeliveryLog } from './hook.ts';
import { isoNow } from '../store/db.ts';
import { DEFAULT_LIMITS, type ServerLimits } from './limits.ts';
import { LiveEvents } from './live.ts';
import { LoginThrottle } from './login-throttle.ts';
import { RepoMirrors } from './repos.ts';
import { outputSweeper } from './retention.ts';
import { runService } from './runs.ts';
import { tokenClaimed } from '../store/queue.ts';
import { userService } from './users.ts';
import { ServerConfigReader } from './werckeryml.ts';

export interface CoreOptions {
  /** Where mirrors and run outputs live. */
  dataDir: string;
  /** Lease of a claimed run without heartbeat (default 30 s). */
  leaseMs?: number;
  /** The server's public URL, no trailing slash (see ServerContext.baseUrl). */
  baseUrl?: string;
  maxAttempts?: number;
  /** Outputs of runs finished longer ago are deleted by the sweep (default 30 days; 0 keeps them all). */
  keepOutputsDays?: number;
  /** The clock of the retention sweep (tests pass their own). */
  now?: () => Date;
  /** Overrides of DEFAULT_LIMITS (limits.ts). */
  limits?: Partial<ServerLimits>;
  /** `--trust-proxy`: X-Forwarded-Proto/-For come from a proxy of the operator's. */
  trustProxy?: boolean;
  /** `--allow-local-repos DIR`: the only directories local-path repositories may be in (none: refused). */
  allowLocalRepos?: string[];
}

export const DEFAULT_KEEP_OUTPUTS_DAYS = 30;
const HOUR_MS = 60 * 60 * 1000;

export type Core = ServerCore & {
  store: Store;
  /** Requeues runs whose lease ran out; returns their ids. The server calls it on a timer. */
  reap(): Promise<number[]>;
  onQueued(fn: () => void): () => void;
  /** Sets `baseUrl` (links, webhook URLs, WERCKER_*_URL in runs) once the server knows where it listens. */
  setBaseUrl(url: string): void;
  /** Starts the reaper timer; returns its stop function. */
  startReaper(intervalMs?: number): () => void;
  /** Deletes expired outputs now (see retention.ts); returns the runs whose output went. */
  sweepOutputs(): Promise<number[]>;
  /** Sweeps at once and then every `intervalMs` (default hourly); its stop function waits for a sweep in progress. */
  startOutputSweep(intervalMs?: number): () => Promise<void>;
};

/** How long a delivery id is remembered: GitHub redelivers only recent deliveries. */
const DELIVERY_MEMORY_MS = 30 * 24 * HOUR_MS;

/** Delivery ids in the store (webhook_deliveries), so replays are caught across restarts and server processes. */
function deliveryLog(store: Store): DeliveryLog {
  return {
    async claim(appId, deliveryId) {
      await store.db.deleteFrom('webhook_deliveries').where('received_at', '<', isoNow(-DELIVERY_MEMORY_MS)).execute();
      const r = await store.db.insertInto('webhook_deliveries').values({ application_id: appId, delivery_id: deliveryId, received_at: isoNow() })
        .onConflict((oc) => oc.columns(['application_id', 'delivery_id']).doNothing()).executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async release(appId, deliveryId) {
      await store.db.deleteFrom('webhook_deliveries').where('application_id', '=', appId).where('delivery_id', '=', deliveryId).execute();
    },
  };
}

/** Composes the server's services over one store. */
export function createServerCore(store: Store, options: CoreOptions): Core {
  const mirrors = new RepoMirrors(path.join(options.dataDir, 'repos'), options.allowLocalRepos ?? []);
  const live = new LiveEvents();
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const users = userService(store);
  const configs = new ServerConfigReader(mirrors, limits);
  const apps = applicationService(store, mirrors, configs);
  const leaseMs = options.leaseMs ?? 30_000;
  const runOptions = { dataDir: options.dataDir, leaseMs, baseUrl: options.baseUrl ?? 'http://localhost:7373', maxAttempts: options.maxAttempts ?? 3, runEvents: limits.runEvents };
  const runs = runService(store, apps, mirrors, configs, live, runOptions);
  const sweepOutputs = outputSweeper(store, { keepOutputsDays: options.keepOutputsDays ?? DEFAULT_KEEP_OUTPUTS_DAYS, ...(options.now ? { now: options.now } : {}) });
  const { appRow: _a, jobVariables: _j, webhookSecret, ...appMembers } = apps;
  const { reap, onQueued, runners, runnersFor, ...runMembers } = runs;
  const core: Core = {
    get baseUrl() {
      return runOptions.baseUrl;
    },
    ...appMembers,
    ...runMembers,
    auth: users,
    authenticator: users,
    runners,
    runnersFor,
    tokenClaimed: (runId, tokenId) => tokenClaimed(store, runId, tokenId),
    limits,
    trustProxy: options.trustProxy ?? false,
    loginThrottle: new LoginThrottle(options.now ? () => options.now!().getTime() : Date.now),
    store,
    reap,
    onQueued,
    setBaseUrl: (url) => {
      runOptions.baseUrl = url;
    },
    handlePushHook: (appName, raw, headers) => handlePushHook({ getApplication: core.getApplication, webhookSecret, triggerRun: core.triggerRun }, appName, raw, headers, deliveryLog(store)),
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
    sweepOutputs,
    startOutputSweep(intervalMs = HOUR_MS) {
      let running: Promise<unknown> | undefined;
      const sweep = () => {
        if (running) return;
        running = sweepOutputs()
          .then((ids) => ids.length && process.stderr.write(`werker server: retention removed the outputs of ${ids.length} run(s) (--keep-outputs)\n`))
          .catch((err: Error) => process.stderr.write(`werker server: removing expired outputs failed: ${err.message}; the next sweep tries again (check the data dir's outputs/)\n`))
          .finally(() => (running = undefined));
      };
      sweep();
      const timer = setInterval(sweep, intervalMs);
      timer.unref();
      return async () => {
        clearInterval(timer);
        // The store closes next: a sweep still deleting must finish first.
        await running;
      };
    },
  };
  return core;
}
