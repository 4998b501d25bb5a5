import type { NewNotificationRuleRow, NotificationRuleRow } from '../../store/notifications.ts';
import type { RunRow } from '../../store/runs.ts';
import { InputError, type NewNotificationRule, type NotificationRule, type NotifyChannel, type NotifyWhen } from '../context.ts';

export const WHENS: readonly NotifyWhen[] = ['failure', 'recovery', 'always'];
export const CHANNELS: readonly NotifyChannel[] = ['webhook', 'slack', 'email'];
/** The statuses a run ends with; only these are announced. */
const FINAL = new Set<RunRow['status']>(['passed', 'failed', 'cancelled']);
const MAX_RECIPIENTS = 20;
const MIN_SECRET = 16;
/** An address as mail servers take it in RCPT TO: no spaces, angle brackets or commas, one @. */
const EMAIL = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;

/** The run facts a rule is matched on. */
export type RunFacts = Pick<RunRow, 'status' | 'pipeline' | 'branch'>;

/**
 * Why `rule` speaks about the run that just ended, or undefined when it stays silent.
 * `previous` is the result of the run before it of the same pipeline and branch (store
 * previousResult): a recovery is a pass right after a failure.
 */
export function notificationReason(rule: Pick<NotificationRuleRow, 'trigger_on' | 'pipelines' | 'branches'>, run: RunFacts, previous: 'passed' | 'failed' | undefined): NotifyWhen | undefined {
  if (!FINAL.has(run.status)) return undefined;
  if (!matchesList(splitList(rule.pipelines), run.pipeline) || !matchesList(splitList(rule.branches), run.branch)) return undefined;
  switch (rule.trigger_on) {
    case 'always':
      return 'always';
    case 'failure':
      return run.status === 'failed' ? 'failure' : undefined;
    case 'recovery':
      return run.status === 'passed' && previous === 'failed' ? 'recovery' : undefined;
  }
}

/** Empty: everything; else a name equal to one entry, or matching its `*` pattern. */
function matchesList(patterns: string[], value: string): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => (p.includes('*') ? globRegExp(p).test(value) : p === value));
}

const globRegExp = (pattern: string): RegExp => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

export const splitList = (text: string): string[] => text.split(',').map((s) => s.trim()).filter(Boolean);

/** A new rule's input, checked and turned into its row (the signing secret as given or made). */
export function checkNewRule(input: NewNotificationRule, emailEnabled: boolean, makeSecret: () => string): Omit<NewNotificationRuleRow, 'created_by'> {
  if (!WHENS.includes(input.when)) throw new InputError(`"when" is one of ${WHENS.join(', ')}, not ${JSON.stringify(input.when)}`);
  if (!CHANNELS.includes(input.channel)) throw new InputError(`"channel" is one of ${CHANNELS.join(', ')}, not ${JSON.stringify(input.channel)}`);
  const pipelines = checkNames(input.pipelines ?? [], 'pipelines', /^[A-Za-z0-9_.:-]+$/);
  const branches = checkNames(input.branches ?? [], 'branches', /^[^\s,~^:?[\\]+$/);
  const common = { trigger_on: input.when, pipelines: pipelines.join(','), branches: branches.join(','), channel: input.channel };
  if (input.channel === 'email') {
    if (!emailEnabled) throw new InputError('this server sends no email: start `werker server` with --smtp-host and --smtp-from (see `werker server --help`), or use a webhook rule');
    return { ...common, target: checkRecipients(input.recipients ?? []).join(','), signing_secret: null };
  }
  const target = checkUrl(input.url ?? '');
  if (input.channel === 'slack') return { ...common, target, signing_secret: null };
  const secret = input.secret?.trim() || makeSecret();
  if (secret.length < MIN_SECRET) throw new InputError(`a signing secret is at least ${MIN_SECRET} characters (leave it empty and the server makes one)`);
  return { ...common, target, signing_secret: secret };
}

function checkNames(names: string[], what: string, shape: RegExp): string[] {
  const list = names.flatMap((n) => splitList(n));
  for (const name of list) if (!shape.test(name)) throw new InputError(`"${name}" in ${what} is not a ${what === 'pipelines' ? 'pipeline name' : 'branch name or pattern'}`);
  return [...new Set(list)];
}

function checkRecipients(raw: string[]): string[] {
  const list = [...new Set(raw.flatMap((r) => r.split(/[\s,;]+/)).map((r) => r.trim()).filter(Boolean))];
  if (list.length === 0) throw new InputError('an email rule needs at least one recipient');
  if (list.length > MAX_RECIPIENTS) throw new InputError(`at most ${MAX_RECIPIENTS} recipients per rule (use a mailing list)`);
  for (const r of list) if (!EMAIL.test(r)) throw new InputError(`"${r}" is not an email address`);
  return list;
}

function checkUrl(raw: string): string {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError('the URL is required: an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError(`the URL must be http:// or https://, not ${url.protocol}`);
  if (url.hash) throw new InputError('the URL takes no #fragment');
  return url.href;
}

/**
 * Where a rule sends, without its secret parts: for a URL its scheme and host alone (a Slack
 * hook's path is its key, and any URL may carry a token in its path or query); for email the
 * recipients.
 */
export function visibleTarget(row: Pick<NotificationRuleRow, 'channel' | 'target'>): string {
  if (row.channel === 'email') return splitList(row.target).join(', ');
  const url = new URL(row.target);
  return `${url.protocol}//${url.host}/…`;
}

/** A rule as the API and the page show it: no URL path, no signing secret. */
export function toNotificationRule(row: NotificationRuleRow): NotificationRule {
  return {
    id: row.id, when: row.trigger_on, pipelines: splitList(row.pipelines), branches: splitList(row.branches), channel: row.channel,
    target: visibleTarget(row), createdBy: row.created_by, createdAt: row.created_at,
    lastDelivery: row.last_status && row.last_run_id !== null
      ? { runId: row.last_run_id, status: row.last_status, attempts: row.last_attempts ?? 0, detail: row.last_detail ?? '', at: row.last_at ?? '' }
      : null,
  };
}
