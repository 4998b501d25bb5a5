import { Cron } from 'croner';
import { InputError } from './context.ts';
import { parseCronSyntax, type CronProblem } from './cron-syntax.ts';

/** A cron expression refused, with where: the API answers 400 with `position`, the UI marks the character. */
export class CronSyntaxError extends InputError {
  constructor(readonly expression: string, readonly problem: CronProblem) {
    const where = problem.field === null ? '' : `, field ${problem.field} (${problem.fieldName})`;
    super(`invalid cron expression "${expression}" at character ${problem.column}${where}: ${problem.message}`, 400);
  }

  /** What the API adds to `error`. */
  get position(): { column: number; field: number | null; fieldName: string | null } {
    return { column: this.problem.column, field: this.problem.field, fieldName: this.problem.fieldName };
  }
}

/** A zone name as the runtime knows it (`europe/berlin` → `Europe/Berlin`), or an InputError. */
export function checkTimeZone(name: string): string {
  const trimmed = name.trim();
  try {
    if (trimmed === '') throw new RangeError('empty');
    return new Intl.DateTimeFormat('en-US', { timeZone: trimmed }).resolvedOptions().timeZone;
  } catch {
    throw new InputError(`unknown time zone "${name}": give an IANA name such as UTC, Europe/Berlin or America/New_York`);
  }
}

/** An expression checked and read in a time zone: when it occurs next. */
export interface CronSchedule {
  /** The first occurrence strictly after `after`; null when it never occurs again. */
  nextAfter(after: Date): Date | null;
  /** Up to `n` occurrences strictly after `after`. */
  nextRuns(n: number, after: Date): Date[];
}

/**
 * Checks the expression (CronSyntaxError naming the field and character) and reads it with
 * croner in `timeZone` (already checked: checkTimeZone). Daylight-saving changes are croner's
 * (Vixie cron's rules): a fixed time in the skipped hour runs just after the gap, a fixed time in
 * the repeated hour runs once; an every-N-minutes schedule skips the gap and runs through the
 * repeated hour.
 */
export function readCron(expression: string, timeZone: string): CronSchedule {
  const parsed = parseCronSyntax(expression);
  if ('problem' in parsed) throw new CronSyntaxError(expression, parsed.problem);
  let cron: Cron;
  try {
    cron = new Cron(parsed.fields, { timezone: timeZone, mode: '5-part', paused: true });
  } catch (err) {
    // The syntax check above should leave croner nothing to refuse; say what it said if it does.
    throw new InputError(`invalid cron expression "${expression}": ${(err as Error).message}`);
  }
  return { nextAfter: (after) => cron.nextRun(after), nextRuns: (n, after) => cron.nextRuns(n, after) };
}

/** How many coming occurrences the minimum interval is checked over. */
const INTERVAL_SAMPLE = 60;

/** Refuses an expression that never occurs, or occurs more often than every `minIntervalMs` (over its next occurrences). */
export function checkFrequency(expression: string, schedule: CronSchedule, minIntervalMs: number, now: Date): void {
  const coming = schedule.nextRuns(INTERVAL_SAMPLE, now);
  if (coming.length === 0) throw new InputError(`the cron expression "${expression}" never occurs (a day no month has, such as 30 February)`);
  const gap = smallestGap(coming);
  if (gap < minIntervalMs) {
    throw new InputError(`the cron expression "${expression}" runs ${describeMs(gap)} apart at times; a schedule may run at most once every ${describeMs(minIntervalMs)}`);
  }
}

function smallestGap(times: Date[]): number {
  let smallest = Infinity;
  for (let i = 1; i < times.length; i++) smallest = Math.min(smallest, times[i]!.getTime() - times[i - 1]!.getTime());
  return smallest;
}

function describeMs(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  return `${Math.round(minutes / 60)} hours`;
}

/** `iso` as wall-clock time in `timeZone`: `2026-12-03 02:00`. */
export function wallClock(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(iso));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}
