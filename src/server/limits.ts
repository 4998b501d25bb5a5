import type { ConfigLimits } from '../config/validate.ts';
import { DEFAULT_CONFIG_LIMITS } from '../runner/limits.ts';

/**
 * The server's limits on what one request, one wercker.yml or one run may cost it, with their
 * defaults. `werker server` flags change the ones an operator may need to (see cli/commands/server.ts);
 * src/server/README.md lists them all.
 */
export interface ServerLimits {
  /** Webhook bodies: GitHub sends at most 25 MB. */
  webhookBytes: number;
  /** Forms and JSON of people and `werker remote` (every route not named below). */
  apiBytes: number;
  /** JSON of the runner protocol (event batches carry output). */
  runnerBytes: number;
  /** A build output upload (streamed to disk, never held in memory). */
  outputBytes: number;
  /** A wercker.yml the server (or its embedded runner) reads. */
  configBytes: number;
  /** Values one wercker.yml may expand to (every key, list item and scalar; aliases count each time they are used). */
  configNodes: number;
  /** Time reading one wercker.yml may take before the server gives up on it. */
  configMs: number;
  /** Events stored per run; after that, output is dropped and a marker says so. */
  runEvents: number;
  /** Schedules one application may have (schedules.ts). */
  schedulesPerApplication: number;
  /** The shortest time between two occurrences of a schedule. */
  scheduleMinIntervalMs: number;
  /** Shared caches one application may keep, all its pipelines and branches together (one upload may be no larger). */
  cacheBytes: number;
  /** Shared caches of every application together; beyond it the least recently used go. */
  cacheTotalBytes: number;
}

const MB = 1024 * 1024;

export const DEFAULT_LIMITS: ServerLimits = {
  webhookBytes: 25 * MB,
  apiBytes: 1 * MB,
  runnerBytes: 16 * MB,
  outputBytes: 4096 * MB,
  // A remote runner reads a wercker.yml within the same bounds (runner/limits.ts).
  configBytes: DEFAULT_CONFIG_LIMITS.maxBytes,
  configNodes: DEFAULT_CONFIG_LIMITS.maxNodes,
  configMs: DEFAULT_CONFIG_LIMITS.timeBudgetMs,
  runEvents: 50_000,
  schedulesPerApplication: 20,
  scheduleMinIntervalMs: 60_000,
  cacheBytes: 4096 * MB,
  cacheTotalBytes: 20 * 1024 * MB,
};

/** A size for messages: `25 MB`, `512 KB`, `300 bytes`. */
export function formatBytes(n: number): string {
  if (n >= MB && n % MB === 0) return `${n / MB} MB`;
  if (n >= MB) return `${(n / MB).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}

/** The wercker.yml part, as validateConfig takes it. */
export const configLimits = (limits: ServerLimits): ConfigLimits => ({ maxBytes: limits.configBytes, maxNodes: limits.configNodes, timeBudgetMs: limits.configMs });
