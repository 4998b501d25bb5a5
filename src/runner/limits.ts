import type { ConfigLimits } from '../config/validate.ts';

/**
 * Bounds on reading a run's wercker.yml when the runner is told none (`werker runner`); the
 * embedded runner gets its server's (server/limits.ts, whose defaults these are).
 */
export const DEFAULT_CONFIG_LIMITS: ConfigLimits = { maxBytes: 128 * 1024, maxNodes: 20_000, timeBudgetMs: 2_000 };
