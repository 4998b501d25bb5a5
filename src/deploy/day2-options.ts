import type { ReleaseSpec } from './release-spec.ts';

/** The options of internal/release that the day-2 commands and the cron history read. */
export type Day2Options = Pick<ReleaseSpec, 'cronHistory' | 'notify' | 'maintenancePage'>;

/** Runs kept per cron job when `cron-history` is not given. */
export const DEFAULT_CRON_HISTORY = 20;

/** A URL that goes into a curl config line as it is: no quotes, backslashes, spaces or line breaks. */
const WEBHOOK = /^https?:\/\/[^\s"'\\]+$/;
/** A path inside the repository: relative, no `..`. */
const REPO_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\0\n]+$/;

/**
 * `cron-history` (runs kept per job on the host), `notify-webhook` (where a failing cron run is
 * reported) and `maintenance-page` (the page `werker release maintenance` serves).
 */
export function parseDay2Options(get: (name: string) => string, int: (name: string, fallback: number, min?: number) => number, errors: string[]): Day2Options {
  const out: Day2Options = { cronHistory: int('cron-history', DEFAULT_CRON_HISTORY, 1) };
  const webhook = get('notify-webhook');
  if (webhook) {
    if (WEBHOOK.test(webhook)) out.notify = { webhook };
    else errors.push('notify-webhook: not an http(s) URL without spaces, quotes or backslashes');
  }
  const page = get('maintenance-page');
  if (page) {
    if (REPO_PATH.test(page)) out.maintenancePage = page;
    else errors.push(`maintenance-page: "${page}" must be a path inside the repository (relative, no ..)`);
  }
  return out;
}
