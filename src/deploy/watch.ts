import { setTimeout as sleep } from 'node:timers/promises';
import type { ReleaseCommands } from './commands.ts';
import { HealthProbe } from './health.ts';
import type { Remote } from './remote.ts';
import { count5xx } from './watch-commands.ts';

/** Failed checks in a row that fail the watch: one slow answer is not a broken release. */
export const FAILED_IN_A_ROW = 3;

export interface WatchResult {
  outcome: 'passed' | 'failed' | 'cancelled';
  /** Seconds watched. */
  secs: string;
  /** Why it failed, in one line: which check, what it got, how many 5xx of how many. */
  reason?: string;
  details: string[];
  hint?: string;
}

/** What the watch knows about the new release's answers through nginx. */
interface Answers {
  total: number;
  failed: number;
}

/**
 * The watch window after the switch: each second the release's health check (the same probe
 * as the gate) and, through nginx's access log, the share of its answers that were 5xx (the
 * upstream address says which release answered). Fails at the first of: the container stopped,
 * FAILED_IN_A_ROW failed checks in a row, 5xx above the limit. A cancel ends the watch at once
 * with outcome `cancelled`; the caller decides what the host is left with.
 */
export async function watchRelease(r: Remote, c: ReleaseCommands, name: string, port: number, logOffset: number, signal: AbortSignal | undefined): Promise<WatchResult> {
  const w = c.spec.watch!;
  const probe = new HealthProbe(r, c, name, port);
  const started = Date.now();
  const secs = () => ((Date.now() - started) / 1000).toFixed(1);
  const limit = w.max5xxPercent;
  r.say(`watching ${name} for ${w.seconds}s: ${probe.describe()}, every 1s (${FAILED_IN_A_ROW} failures in a row fail it)` +
    (limit !== undefined ? `; its 5xx answers through nginx at most ${limit}% (${w.accessLog})` : ''));
  let inARow = 0;
  let answers: Answers = { total: 0, failed: 0 };
  const fail = async (reason: string): Promise<WatchResult> => {
    const { details, hint } = await probe.explain().catch((): { details: string[]; hint?: string } => ({ details: [] }));
    if (limit !== undefined) details.unshift(`  through nginx: ${describeAnswers(answers, limit)}`);
    return { outcome: 'failed', secs: secs(), reason, details, ...(hint ? { hint } : {}) };
  };
  while (Date.now() - started < w.seconds * 1000) {
    if (signal?.aborted) return { outcome: 'cancelled', secs: secs(), details: [] };
    const state = await r.read(c.containerState(name));
    if (!state?.startsWith('running')) return fail(`${name} stopped (${state ?? 'gone'})`);
    const check = await probe.check();
    inARow = check.passed ? 0 : inARow + 1;
    if (inARow >= FAILED_IN_A_ROW) return fail(`${inARow} health checks in a row failed, the last ${check.text}`);
    if (limit !== undefined) {
      const read = await r.try(count5xx(w.accessLog!, logOffset, `127.0.0.1:${port}`), { quiet: true, timeoutMs: 30_000 });
      if (read.code !== 0) {
        const res = await fail(`the access log could not be read: ${read.stderr.trim() || `exit ${read.code}`}`);
        return { ...res, hint: `let the deploy user read ${w.accessLog} (e.g. its group), set nginx-access-log to a file it can read, or set watch-5xx: off` };
      }
      const [total = 0, failed = 0] = read.stdout.trim().split(/\s+/).map(Number);
      answers = { total, failed };
      if (failed > 0 && failed * 100 > limit * total) return fail(`${describeAnswers(answers, limit)}`);
    }
    try {
      await sleep(1000, undefined, signal ? { signal } : {});
    } catch {
      return { outcome: 'cancelled', secs: secs(), details: [] };
    }
  }
  r.say(`${name} passed its ${w.seconds}s watch${limit !== undefined ? `: ${describeAnswers(answers, limit)}` : ''}`);
  return { outcome: 'passed', secs: secs(), details: [] };
}

/** `3 of 120 answers were 5xx (2.5%, limit 5%)`. */
function describeAnswers(a: Answers, limit: number): string {
  const share = a.total ? ((a.failed * 100) / a.total).toFixed(1) : '0';
  return `${a.failed} of ${a.total} answer${a.total === 1 ? '' : 's'} of the new release were 5xx (${share}%, limit ${limit}%)`;
}
