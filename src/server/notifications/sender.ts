import { randomUUID } from 'node:crypto';
import type { Store } from '../../store/db.ts';
import { getApplicationRow } from '../../store/applications.ts';
import { listNotificationRuleRows, previousResult, recordDelivery, type NotificationRuleRow } from '../../store/notifications.ts';
import type { RunRow } from '../../store/runs.ts';
import { Masker } from '../../util/mask.ts';
import { maskerFor } from '../mask-events.ts';
import { jobVariables } from '../variables.ts';
import { postJson, sendEmail, type AttemptOutcome } from './channels.ts';
import { emailMessage, runNotice, slackBody, webhookBody, webhookHeaders, type RunNotice } from './payload.ts';
import { notificationReason, splitList } from './rules.ts';
import type { SmtpSettings } from './smtp-settings.ts';

/** How hard a delivery tries: `attempts` in all, waiting `firstDelayMs`, then twice as long each time (at most `maxDelayMs`). */
export interface DeliveryPolicy { attempts: number; firstDelayMs: number; maxDelayMs: number; timeoutMs: number }

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = { attempts: 5, firstDelayMs: 2_000, maxDelayMs: 60_000, timeoutMs: 10_000 };

export interface NotifierDeps {
  store: Store;
  baseUrl: () => string;
  smtp?: SmtpSettings | undefined;
  policy?: Partial<DeliveryPolicy>;
  log?: (line: string) => void;
}

/**
 * Sends the notifications of finished runs (listening to RunChanges, run-changes.ts). Each
 * matching rule gets its own delivery in the background: bounded retries with backoff, the
 * outcome written on the rule. Nothing here waits on a receiver while a run is being stored, so
 * a receiver that never answers delays no run. Deliveries in progress live in this process: a
 * server that stops ends their retries (`stop`).
 */
export class Notifier {
  readonly #deps: NotifierDeps;
  readonly #policy: DeliveryPolicy;
  readonly #pending = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  /** Secrets no log line may show: the SMTP password. Rule secrets are masked per rule. */
  readonly #serverSecrets: string[];

  constructor(deps: NotifierDeps) {
    this.#deps = deps;
    this.#policy = { ...DEFAULT_DELIVERY_POLICY, ...deps.policy };
    this.#serverSecrets = deps.smtp?.password ? [deps.smtp.password] : [];
  }

  /** The RunChanges listener: finds the rules that speak about this run and starts their deliveries. */
  readonly onRunChange = async (run: RunRow, previous: RunRow['status'] | undefined): Promise<void> => {
    if (this.#stop.signal.aborted || run.status === previous || (run.status !== 'passed' && run.status !== 'failed' && run.status !== 'cancelled')) return;
    const rules = await listNotificationRuleRows(this.#deps.store, run.application_id);
    if (rules.length === 0) return;
    const before = await previousResult(this.#deps.store, run);
    const speaking = rules.flatMap((rule) => {
      const reason = notificationReason(rule, run, before);
      return reason ? [{ rule, reason }] : [];
    });
    if (speaking.length === 0) return;
    const app = await getApplicationRow(this.#deps.store, run.application_id);
    const masker = maskerFor(await jobVariables(this.#deps.store, run.application_id, run.pipeline));
    for (const { rule, reason } of speaking) {
      this.#track(this.#deliver(rule, runNotice(run, app?.name ?? String(run.application_id), this.#deps.baseUrl(), reason, before, masker)));
    }
  };

  /** Waits for the deliveries started so far (tests; a stopping server after `stop`). */
  async settled(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }

  /** Ends retries and waits for attempts in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.settled();
  }

  #track(p: Promise<void>): void {
    const tracked = p.catch((err: Error) => this.#log(`werker server: a notification failed: ${err.message}`)).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  async #deliver(rule: NotificationRuleRow, notice: RunNotice): Promise<void> {
    const { store } = this.#deps;
    const { attempts, firstDelayMs, maxDelayMs } = this.#policy;
    const deliveryId = randomUUID();
    const masker = new Masker([...this.#serverSecrets, ...(rule.channel === 'email' ? [] : [rule.target]), ...(rule.signing_secret ? [rule.signing_secret] : [])]);
    let outcome: AttemptOutcome = { ok: false, retry: true, detail: 'not sent' };
    let attempt = 0;
    await recordDelivery(store, rule.id, { runId: notice.run.id, status: 'sending', attempts: 0, detail: 'sending' });
    while (attempt < attempts) {
      attempt++;
      outcome = await this.#attempt(rule, notice, deliveryId);
      if (outcome.ok || !outcome.retry || attempt === attempts || this.#stop.signal.aborted) break;
      const wait = Math.min(maxDelayMs, Math.max(outcome.retryAfterMs ?? 0, firstDelayMs * 2 ** (attempt - 1)));
      await recordDelivery(store, rule.id, { runId: notice.run.id, status: 'sending', attempts: attempt, detail: masker.mask(`${outcome.detail}; trying again in ${Math.round(wait / 1000)} s`) });
      if (!(await this.#sleep(wait))) break;
    }
    const detail = masker.mask(outcome.detail);
    await recordDelivery(store, rule.id, { runId: notice.run.id, status: outcome.ok ? 'delivered' : 'failed', attempts: attempt, detail });
    if (!outcome.ok) this.#log(`werker server: notification rule ${rule.id} (${rule.channel}) of application ${notice.application.name}, run ${notice.run.id}: not delivered after ${attempt} attempt(s): ${detail}`);
  }

  #attempt(rule: NotificationRuleRow, notice: RunNotice, deliveryId: string): Promise<AttemptOutcome> {
    const { timeoutMs } = this.#policy;
    const signal = this.#stop.signal;
    switch (rule.channel) {
      case 'webhook': {
        const stamp = { id: deliveryId, timestamp: Math.floor(Date.now() / 1000) };
        const body = webhookBody(notice, stamp);
        return postJson(rule.target, body, webhookHeaders(rule.signing_secret ?? '', body, stamp), timeoutMs, signal);
      }
      case 'slack':
        return postJson(rule.target, JSON.stringify(slackBody(notice)), { 'content-type': 'application/json', 'user-agent': 'werker-notifications' }, timeoutMs, signal);
      case 'email': {
        const smtp = this.#deps.smtp;
        if (!smtp) return Promise.resolve({ ok: false, retry: false, detail: 'this server has no SMTP settings any more (start it with --smtp-host and --smtp-from)' });
        return sendEmail(smtp, { to: splitList(rule.target), ...emailMessage(notice) }, timeoutMs);
      }
    }
  }

  /** Waits `ms`, or less when the server stops; false when it stopped. */
  #sleep(ms: number): Promise<boolean> {
    const signal = this.#stop.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve(!signal.aborted);
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #log(line: string): void {
    (this.#deps.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(new Masker(this.#serverSecrets).mask(line));
  }
}
