import { createHmac } from 'node:crypto';
import type { RunRow } from '../../store/runs.ts';
import type { Masker } from '../../util/mask.ts';
import type { NotifyWhen } from '../context.ts';

/**
 * What every channel says about a finished run (one shape, built once per run): the facts a
 * receiver needs to act, with the message masked by the application's protected values.
 */
export interface RunNotice {
  reason: NotifyWhen;
  application: { id: number; name: string };
  run: {
    id: number; url: string; pipeline: string; branch: string; commit: string;
    status: 'passed' | 'failed' | 'cancelled';
    /** The result of the run before it of the same pipeline and branch (null: none yet). */
    previousStatus: 'passed' | 'failed' | null;
    durationMs: number | null; trigger: string; triggeredBy: string; attempt: number;
    /** Why it failed or was cancelled (null when it passed), masked. */
    message: string | null;
    startedAt: string | null; finishedAt: string | null;
  };
}

/** The notice of a finished run; every text in it goes through `masker` (protected values never leave). */
export function runNotice(run: RunRow, appName: string, baseUrl: string, reason: NotifyWhen, previous: 'passed' | 'failed' | undefined, masker: Masker): RunNotice {
  const m = (text: string) => masker.mask(text);
  return {
    reason,
    application: { id: run.application_id, name: m(appName) },
    run: {
      id: run.id, url: `${baseUrl}/runs/${run.id}`, pipeline: m(run.pipeline), branch: m(run.branch), commit: run.commit_sha,
      status: run.status as RunNotice['run']['status'], previousStatus: previous ?? null,
      durationMs: run.duration_ms, trigger: run.trigger, triggeredBy: m(run.triggered_by), attempt: run.attempt,
      message: run.message === null ? null : m(run.message), startedAt: run.started_at, finishedAt: run.finished_at,
    },
  };
}

/** One delivery of a notice: its id (the same on every retry, so receivers drop repeats) and the attempt's time. */
export interface DeliveryStamp { id: string; timestamp: number }

/**
 * The generic webhook's body. The delivery id and the time are inside the signed body (and
 * repeated in headers), so a receiver that checks the signature can also refuse a replay: an
 * old timestamp or an id it has seen.
 */
export function webhookBody(notice: RunNotice, stamp: DeliveryStamp): string {
  return JSON.stringify({ event: 'run.finished', deliveryId: stamp.id, timestamp: stamp.timestamp, ...notice });
}

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes under the rule's secret. */
export const signBody = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

/** The headers of a webhook delivery attempt. */
export function webhookHeaders(secret: string, body: string, stamp: DeliveryStamp): Record<string, string> {
  return {
    'content-type': 'application/json', 'user-agent': 'werker-notifications',
    'x-werker-event': 'run.finished', 'x-werker-delivery': stamp.id, 'x-werker-timestamp': String(stamp.timestamp),
    'x-werker-signature': signBody(secret, body),
  };
}

const VERB: Record<RunNotice['run']['status'], string> = { passed: 'passed', failed: 'failed', cancelled: 'was cancelled' };
const EMOJI: Record<RunNotice['run']['status'], string> = { passed: ':white_check_mark:', failed: ':x:', cancelled: ':no_entry_sign:' };

/** `shop build failed on main (abc1234)` — the one-line summary used as Slack text and email subject. */
export function summaryLine(n: RunNotice): string {
  // A pass after a failure reads as one, whichever rule sent it (an `always` rule too).
  const recovered = n.run.status === 'passed' && n.run.previousStatus === 'failed' ? ' again' : '';
  return `${n.application.name} ${n.run.pipeline} ${VERB[n.run.status]}${recovered} on ${n.run.branch} (${n.run.commit.slice(0, 7)})`;
}

/** Slack's mrkdwn treats &, < and > as control characters: each is sent escaped. */
const slackEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The body of a Slack incoming webhook: `text` (what notifications and clients without blocks
 * show; Mattermost and Rocket.Chat use it) and Block Kit `blocks` with the details and a link.
 */
export function slackBody(n: RunNotice): { text: string; blocks: unknown[] } {
  const title = `${EMOJI[n.run.status]} ${slackEscape(summaryLine(n))}`;
  const link = `<${n.run.url}|run #${n.run.id}>`;
  const facts = [
    `*Pipeline* ${slackEscape(n.run.pipeline)}`, `*Branch* ${slackEscape(n.run.branch)}`, `*Commit* \`${n.run.commit.slice(0, 10)}\``,
    `*Duration* ${formatSeconds(n.run.durationMs)}`, `*Started by* ${slackEscape(n.run.triggeredBy)} (${n.run.trigger})`,
  ];
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${title} — ${link}` } },
    { type: 'section', fields: facts.map((text) => ({ type: 'mrkdwn', text })) },
  ];
  if (n.run.message) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(n.run.message).slice(0, 2900) }] });
  return { text: `${title} — ${link}`, blocks };
}

/** The email: subject, plain-text body and headers marking it as automatic (RFC 3834). */
export function emailMessage(n: RunNotice): { subject: string; text: string; headers: Record<string, string> } {
  const lines = [
    summaryLine(n), '',
    `Application: ${n.application.name}`, `Pipeline:    ${n.run.pipeline}`, `Branch:      ${n.run.branch}`, `Commit:      ${n.run.commit}`,
    `Status:      ${n.run.status}${n.run.previousStatus ? ` (the run before: ${n.run.previousStatus})` : ''}`,
    `Duration:    ${formatSeconds(n.run.durationMs)}`, `Started by:  ${n.run.triggeredBy} (${n.run.trigger})`,
    ...(n.run.message ? ['', n.run.message] : []),
    '', `The run: ${n.run.url}`, '',
    '-- ', `werker: a notification rule of ${n.application.name} (on ${n.reason}) sent this.`,
  ];
  return {
    subject: `[werker] ${summaryLine(n)}`, text: `${lines.join('\n')}\n`,
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Werker-Run': String(n.run.id), 'X-Werker-Application': n.application.name },
  };
}

const formatSeconds = (ms: number | null): string => (ms === null ? 'unknown' : `${(ms / 1000).toFixed(1)} s`);
