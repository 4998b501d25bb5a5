import { createHash } from 'node:crypto';
import { shellQuote } from '../util/shell-quote.ts';
import { shellSplit } from '../util/shell-words.ts';
import type { CronJob } from './release-spec.ts';

/**
 * Cron jobs that run inside the live release. One host crontab line per job calls a small runner
 * script the deploy writes; the runner takes the job's lock with `flock -n` (one run at a time:
 * a run that finds the lock held exits 75 and does nothing) and only then reads the live
 * release's name from the pointer file the switch replaces atomically, and `docker exec`s the
 * command there. The deploy takes the same lock before it stops the old release, so a run that
 * started in the old release finishes first and the next tick runs in the new one: never twice,
 * never in a stopped container.
 */

/** A field: `*`, numbers or three-letter names (`mon`, `jan`), joined by `-`, `/` and `,`. */
const SCHEDULE_FIELD = /^(\*|\d+|[A-Za-z]{3})([-/,](\*|\d+|[A-Za-z]{3}))*$/;
const KEYWORDS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** `cron` option lines: `*\/1 * * * * python manage.py ticker` (or `@hourly cmd`); `#` lines and blanks skipped. */
export function cronJobs(text: string): CronJob[] {
  const jobs: CronJob[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const n = fields[0]!.startsWith('@') ? 1 : 5;
    if (n === 1 && !KEYWORDS.has(fields[0]!)) throw new Error(`"${fields[0]}" is not a cron schedule keyword (${[...KEYWORDS].join(' ')}); @reboot is not supported`);
    const schedule = fields.slice(0, n);
    if (schedule.length < n || (n === 5 && !schedule.every((f) => SCHEDULE_FIELD.test(f)))) throw new Error(`"${line}" does not start with five schedule fields (minute hour day month weekday)`);
    const command = fields.length > n ? shellSplit(stripFields(line, n)) : [];
    if (!command.length) throw new Error(`"${line}" has a schedule but no command`);
    const name = jobName(command);
    if (jobs.some((j) => j.name === name)) throw new Error(`the command of "${line}" is listed twice`);
    jobs.push({ name, schedule: schedule.join(' '), command });
  }
  return jobs;
}

function stripFields(line: string, n: number): string {
  let rest = line;
  for (let i = 0; i < n; i++) rest = rest.replace(/^\S+\s+/, '');
  return rest;
}

/** A stable, readable id from the command: `python-manage-py-ticker-1a2b3c`. */
function jobName(command: string[]): string {
  const slug = command.join(' ').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 24).replace(/-+$/, '');
  const hash = createHash('sha1').update(JSON.stringify(command)).digest('hex').slice(0, 6);
  return `${slug || 'job'}-${hash}`;
}

/** Where a job's files live on the server. */
export const cronPaths = (stateDir: string, job: CronJob) => ({
  script: `${stateDir}/cron/${job.name}.sh`,
  lock: `${stateDir}/cron/${job.name}.lock`,
  log: `${stateDir}/cron/${job.name}.log`,
  /** The output of the job's last (or current) run. */
  out: `${stateDir}/cron/${job.name}.out`,
  /** One JSON record per run, the last `cron-history` of them (deploy/cron-runner.ts). */
  history: `${stateDir}/cron/${job.name}.history`,
});

const blockStart = (prefix: string) => `# werker:${prefix} begin (written by internal/release; edits are lost)`;
const blockEnd = (prefix: string) => `# werker:${prefix} end`;

/** The crontab lines for the jobs: each runs its script from the home directory, its last output kept in the log. */
export function cronLines(stateDir: string, jobs: CronJob[]): string[] {
  return jobs.map((job) => {
    const p = cronPaths(stateDir, job);
    return `${job.schedule} cd && exec ${shellQuote(p.script)} > ${shellQuote(p.log)} 2>&1`;
  });
}

/** The user's crontab with this app's block replaced (added, updated, or removed when there are no jobs). */
export function withCronBlock(current: string, prefix: string, lines: string[]): string {
  const kept: string[] = [];
  let inside = false;
  for (const line of current.split('\n')) {
    if (line.startsWith(`# werker:${prefix} begin`)) inside = true;
    else if (line === blockEnd(prefix)) inside = false;
    else if (!inside) kept.push(line);
  }
  while (kept.length && kept.at(-1) === '') kept.pop();
  if (lines.length) kept.push(blockStart(prefix), ...lines, blockEnd(prefix));
  return kept.length ? `${kept.join('\n')}\n` : '';
}
