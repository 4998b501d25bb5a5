import path from 'node:path';
import type { Store } from '../store/db.ts';
import { claimDelivery, releaseDelivery } from '../store/deliveries.ts';
import { tokenClaimed } from '../store/queue.ts';
import { applicationService } from './applications.ts';
import type { ServerCore } from './core.ts';
import { handlePushHook, type DeliveryLog } from './hook.ts';
import { keyPairService } from './key-pairs.ts';
import { DEFAULT_LIMITS, type ServerLimits } from './limits.ts';
import { LiveEvents } from './live.ts';
import { LoginThrottle } from './login-throttle.ts';
import { maintainerService } from './maintainers.ts';
import { reaper, startReaper } from './reaper.ts';
import { RepoMirrors } from './repos.ts';
import { outputSweeper, startOutputSweep } from './retention.ts';
import { RunChanges } from './run-changes.ts';
import { runControl } from './run-control.ts';
import { RunRecorder } from './run-events.ts';
import { runHistory } from './run-history.ts';
import { RunQueue } from './run-queue.ts';
import { RunnerSide, type RunnerSideOptions } from './runner-backend.ts';
import { sessionService } from './sessions.ts';
import { tokenService } from './tokens.ts';
import { terminalService } from './terminals.ts';
import { runTriggering } from './triggering.ts';
import { workflowService } from './workflows.ts';
import { userAccounts } from './users.ts';
import { variableService } from './variables.ts';
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
  /** `--terminal-minutes`: a failed step's box is kept this long for terminals (0, the default: none). */
  terminalMinutes?: number;
  /** The server's log (terminal audits); default stderr. */
  log?: (line: string) => void;
}

export const DEFAULT_KEEP_OUTPUTS_DAYS = 30;
const HOUR_MS = 60 * 60 * 1000;

export type Core = ServerCore & {
  store: Store;
  /** Requeues runs whose lease ran out; returns their ids. The server calls it on a timer. */
  reap(): Promise<number[]>;
  onQueued(fn: () => void): () => void;
  /** Every change of a run's status (queued, running, finished, queued again): run-changes.ts. */
  runChanges: RunChanges;
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
    claim: (appId, deliveryId) => claimDelivery(store, appId, deliveryId, DELIVERY_MEMORY_MS),
    release: (appId, deliveryId) => releaseDelivery(store, appId, deliveryId),
  };
}

/** Composes the server's services over one store: each job is a module of its own (src/server/README.md, "Layout"). */
export function createServerCore(store: Store, options: CoreOptions): Core {
  const mirrors = new RepoMirrors(path.join(options.dataDir, 'repos'), options.allowLocalRepos ?? []);
  const live = new LiveEvents();
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const configs = new ServerConfigReader(mirrors, limits);
  const leaseMs = options.leaseMs ?? 30_000;
  const runOptions: RunnerSideOptions = { dataDir: options.dataDir, leaseMs, baseUrl: options.baseUrl ?? 'http://localhost:7373' };
  const changes = new RunChanges();
  const queue = new RunQueue(store, changes);
  const recorder = new RunRecorder(store, live, limits.runEvents, changes);
  const workflows = workflowService(store, configs, (run) => queue.enqueue(run));
  const terminals = terminalService(store, recorder, changes, {
    windowMs: (options.terminalMinutes ?? 0) * 60_000, log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  });
  const runnerDeps = { store, workflows, queue, recorder, changes, terminals, options: runOptions };
  const { webhookSecret, ...apps } = applicationService(store, mirrors, configs);
  const auth = { ...userAccounts(store), ...sessionService(store), ...tokenService(store) };
  const reap = reaper(store, recorder, queue, { maxAttempts: options.maxAttempts ?? 3 });
  const sweepOutputs = outputSweeper(store, { keepOutputsDays: options.keepOutputsDays ?? DEFAULT_KEEP_OUTPUTS_DAYS, ...(options.now ? { now: options.now } : {}) });
  const core: Core = {
    get baseUrl() {
      return runOptions.baseUrl;
    },
    terminalMinutes: options.terminalMinutes ?? 0,
    ...apps, ...maintainerService(store), ...variableService(store), ...keyPairService(store),
    ...runHistory(store, live), ...runTriggering(store, mirrors, workflows, queue), ...runControl(store, recorder, queue),
    auth,
    authenticator: auth,
    runners: new RunnerSide(runnerDeps, null),
    runnersFor: (tokenId) => new RunnerSide(runnerDeps, tokenId),
    tokenClaimed: (runId, tokenId) => tokenClaimed(store, runId, tokenId),
    limits,
    trustProxy: options.trustProxy ?? false,
    loginThrottle: new LoginThrottle(options.now ? () => options.now!().getTime() : Date.now),
    store,
    reap,
    onQueued: (fn) => queue.onQueued(fn),
    runChanges: changes,
    terminals,
    setBaseUrl: (url) => {
      runOptions.baseUrl = url;
    },
    handlePushHook: (appName, raw, headers) => handlePushHook({ getApplication: core.getApplication, webhookSecret, triggerRun: core.triggerRun }, appName, raw, headers, deliveryLog(store)),
    startReaper: (intervalMs = Math.max(500, Math.min(leaseMs / 2, 10_000))) => startReaper(reap, intervalMs),
    sweepOutputs,
    startOutputSweep: (intervalMs) => startOutputSweep(sweepOutputs, intervalMs),
  };
  return core;
}
