import path from 'node:path';
import type { Store } from '../store/db.ts';
import { claimDelivery, releaseDelivery } from '../store/deliveries.ts';
import { tokenClaimed } from '../store/queue.ts';
import { pipelineBadgeState } from '../store/runs.ts';
import { applicationService } from './applications.ts';
import { SharedCache } from './cache.ts';
import type { ServerCore } from './core.ts';
import { approvalService } from './forges/approval.ts';
import { forgeOf } from './forges/registry.ts';
import { forgeSettingsService } from './forges/settings.ts';
import { startStatusReporter, type StatusReporter, type StatusRetry } from './forges/statuses.ts';
import { handleForgeHook, type DeliveryLog } from './hook.ts';
import { keyPairService } from './key-pairs.ts';
import { DEFAULT_LIMITS, type ServerLimits } from './limits.ts';
import { LiveEvents } from './live.ts';
import { LoginThrottle } from './login-throttle.ts';
import { maintainerService } from './maintainers.ts';
import { Notifier, type DeliveryPolicy } from './notifications/sender.ts';
import { notificationSettings } from './notifications/settings.ts';
import type { SmtpSettings } from './notifications/smtp-settings.ts';
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
import { scheduleService, startScheduler } from './schedules.ts';
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
  /** The clock of the retention sweep and the schedules (tests pass their own). */
  now?: () => Date;
  /** Overrides of DEFAULT_LIMITS (limits.ts). */
  limits?: Partial<ServerLimits>;
  /** `--trust-proxy`: X-Forwarded-Proto/-For come from a proxy of the operator's. */
  trustProxy?: boolean;
  /** `--allow-local-repos DIR`: the only directories local-path repositories may be in (none: refused). */
  allowLocalRepos?: string[];
  /** How the server sends email (`--smtp-*`); without it, email notification rules are refused. */
  smtp?: SmtpSettings;
  /** Retries and timeouts of notification deliveries (tests shorten them). */
  notificationPolicy?: Partial<DeliveryPolicy>;
  /** How status requests to a forge are retried (forges/statuses.ts; tests shorten it). */
  statusRetry?: StatusRetry;
  /** `--terminal-minutes`: a failed step's box is kept this long for terminals (0, the default: none). */
  terminalMinutes?: number;
  /** Where the core's own notes go (cache uploads refused, evictions, terminal audits); default: stderr. */
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
  /** Sends the notifications of finished runs (notifications/sender.ts); `stop` it before closing the store. */
  notifier: Notifier;
  /** Posts commit statuses to forges (forges/statuses.ts); `start` takes up what stopped servers left, `stop` it before closing the store. */
  statusReporter: StatusReporter;
  /** Queues a run for each schedule due now (schedules.ts); returns their ids. */
  tickSchedules(): Promise<number[]>;
  /** Ticks at once and then every `intervalMs` (default 10 s); its stop function waits for a tick in progress. */
  startScheduler(intervalMs?: number): () => Promise<void>;
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

/** What every job of the core shares: mirrors, the config reader, the queue, the recorder, status changes, terminals, the cache. */
function sharedParts(store: Store, options: CoreOptions) {
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
  const cache = new SharedCache(store, path.join(options.dataDir, 'cache'), { perApplicationBytes: limits.cacheBytes, totalBytes: limits.cacheTotalBytes }, options.log);
  const runnerDeps = { store, workflows, queue, recorder, changes, cache, terminals, options: runOptions };
  return { mirrors, live, limits, configs, leaseMs, runOptions, changes, queue, recorder, workflows, terminals, cache, runnerDeps };
}

/** Composes the server's services over one store: each job is a module of its own (src/server/README.md, "Layout"). */
export function createServerCore(store: Store, options: CoreOptions): Core {
  const { mirrors, live, limits, configs, leaseMs, runOptions, changes, queue, recorder, workflows, terminals, cache, runnerDeps } = sharedParts(store, options);
  const { webhookSecret, ...apps } = applicationService(store, mirrors, configs, cache);
  const auth = { ...userAccounts(store), ...sessionService(store), ...tokenService(store) };
  const reap = reaper(store, recorder, queue, { maxAttempts: options.maxAttempts ?? 3 });
  const notifier = new Notifier({ store, baseUrl: () => runOptions.baseUrl, smtp: options.smtp, ...(options.notificationPolicy ? { policy: options.notificationPolicy } : {}) });
  changes.on(notifier.onRunChange);
  const { tick: tickSchedules, ...schedules } = scheduleService({ store, mirrors, workflows, queue, changes, limits, now: options.now ?? (() => new Date()) });
  const forges = forgeSettingsService(store);
  const sweepOutputs = outputSweeper(store, { keepOutputsDays: options.keepOutputsDays ?? DEFAULT_KEEP_OUTPUTS_DAYS, ...(options.now ? { now: options.now } : {}) });
  const core: Core = {
    get baseUrl() {
      return runOptions.baseUrl;
    },
    terminalMinutes: options.terminalMinutes ?? 0,
    ...apps, ...maintainerService(store), ...variableService(store), ...keyPairService(store),
    notifications: notificationSettings(store, Boolean(options.smtp)),
    ...runHistory(store, live), ...runTriggering(store, mirrors, workflows, queue), ...runControl(store, recorder, queue),
    schedules,
    auth,
    authenticator: auth,
    runners: new RunnerSide(runnerDeps, null),
    runnersFor: (tokenId) => new RunnerSide(runnerDeps, tokenId),
    tokenClaimed: (runId, tokenId) => tokenClaimed(store, runId, tokenId),
    badgeState: (appId, pipeline, branch) => pipelineBadgeState(store, appId, pipeline, branch),
    sharedCache: cache,
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
    getForgeSettings: forges.getForgeSettings, setForgeSettings: forges.setForgeSettings, ...approvalService(store, queue),
    async handleHook(kind, appName, delivery) {
      const forge = forgeOf(kind);
      if (!forge) return { status: 404, body: { error: `no webhook for forge ${kind} (github, gitea)` } };
      const deps = { getApplication: core.getApplication, webhookSecret, triggerRun: core.triggerRun, pullRequestPipeline: forges.pullRequestPipeline, deliveries: deliveryLog(store) };
      return handleForgeHook(deps, forge, appName, delivery);
    },
    startReaper: (intervalMs = Math.max(500, Math.min(leaseMs / 2, 10_000))) => startReaper(reap, intervalMs),
    sweepOutputs,
    startOutputSweep: (intervalMs) => startOutputSweep(sweepOutputs, intervalMs),
    notifier,
    statusReporter: startStatusReporter({ store, changes, baseUrl: () => runOptions.baseUrl, forgeConnection: forges.forgeConnection, ...(options.statusRetry ? { retry: options.statusRetry } : {}) }),
    tickSchedules,
    startScheduler: (intervalMs = 10_000) => startScheduler(tickSchedules, intervalMs),
  };
  return core;
}
