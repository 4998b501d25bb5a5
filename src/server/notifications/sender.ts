import { randomUUID } from 'node:crypto';
import { getApplicationRow } from '../../store/applications.ts';
import { isoNow, type Store } from '../../store/db.ts';
import {
  claimableDeliveries, claimDelivery, getNotificationRuleRow, insertDelivery, listNotificationRuleRows, previousResult, pruneDeliveries, recordDelivery,
  releaseDeliveries, updateDelivery, type DeliveryRow, type NotificationRuleRow,
} from '../../store/notifications.ts';
import { getRunRow, type RunRow } from '../../store/runs.ts';
import { Masker } from '../../util/mask.ts';
import { maskerFor } from '../mask-events.ts';
import { jobVariables } from '../variables.ts';
import { postJson, sendEmail, type AttemptOutcome } from './channels.ts';
import { emailMessage, runNotice, slackBody, webhookBody, webhookHeaders, type RunNotice } from './payload.ts';
import { notificationReason, splitList } from './rules.ts';
import type { SmtpSettings } from './smtp-settings.ts';

/**
 * How hard a delivery tries: `attempts` in all, waiting `firstDelayMs`, then twice as long each time
 * (at most `maxDelayMs`), `timeoutMs` per attempt. A process holds a delivery until its next attempt's
 * due time + `timeoutMs` + `leaseMarginMs`: one that dies leaves it to the others after that.
 */
export interface DeliveryPolicy { attempts: number; firstDelayMs: number; maxDelayMs: number; timeoutMs: number; leaseMarginMs: number }

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = { attempts: 5, firstDelayMs: 2_000, maxDelayMs: 60_000, timeoutMs: 10_000, leaseMarginMs: 30_000 };

export interface NotifierDeps {
  store: Store;
  baseUrl: () => string;
  smtp?: SmtpSettings | undefined;
  policy?: Partial<DeliveryPolicy>;
  log?: (line: string) => void;
}

/** Ended deliveries are forgotten after this (their outcome stays on the rule). */
const KEEP_ENDED_MS = 7 * 24 * 3600_000;

/**
 * Sends the notifications of finished runs (listening to RunChanges, run-changes.ts). Each
 * matching rule gets its own delivery in the background: bounded retries with backoff, the
 * outcome written on the rule. Nothing here waits on a receiver while a run is being stored, so
 * a receiver that never answers delays no run.
 *
 * Deliveries are kept in the store (`notification_deliveries`, store/notifications.ts) with their
 * attempts and the time the next one is due, under a lease of the process sending them. A server
 * that stops lets go of its deliveries; one that dies holds them until the lease is over. `start`
 * takes up the free ones — at once and then on a timer — by a compare-and-set on the lease, so of
 * several server processes on one PostgreSQL exactly one continues each, with the attempts it had
 * left and the same delivery id (receivers drop repeats by it).
 */
export class Notifier {
  readonly #deps: NotifierDeps;
  readonly #policy: DeliveryPolicy;
  readonly #pending = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  /** This process's lease on the deliveries it sends. */
  readonly #leaseId = randomUUID();
  /** Deliveries this process is sending now (a sweep never claims one of them again). */
  readonly #driving = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
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
    for (const { rule, reason } of speaking) {
      const now = isoNow();
      const row = await insertDelivery(this.#deps.store, {
        id: randomUUID(), rule_id: rule.id, application_id: run.application_id, run_id: run.id, reason, previous_status: before ?? null,
        next_attempt_at: now, lease_id: this.#leaseId, lease_until: this.#leaseFor(Date.now()),
      });
      await recordDelivery(this.#deps.store, rule.id, { runId: run.id, status: 'sending', attempts: 0, detail: 'sending' });
      this.#track(this.#drive(row));
    }
  };

  /**
   * Takes up deliveries no process holds — those a stopped server let go of, or a dead one's
   * once its lease is over — at once and then every `intervalMs`. `stop` ends it.
   */
  start(intervalMs = 15_000): void {
    if (this.#timer || this.#stop.signal.aborted) return;
    const sweep = () => this.#track(this.resume());
    this.#timer = setInterval(sweep, intervalMs);
    this.#timer.unref();
    sweep();
  }

  /** One sweep of `start`: claims each free delivery and continues it in the background; returns how many it took. */
  async resume(): Promise<number> {
    const { store } = this.#deps;
    await pruneDeliveries(store, new Date(Date.now() - KEEP_ENDED_MS).toISOString());
    let taken = 0;
    for (const { id, next_attempt_at: due } of await claimableDeliveries(store, isoNow())) {
      if (this.#stop.signal.aborted) break;
      if (this.#driving.has(id)) continue;
      // Held through its due time and its attempt: nobody else takes it up while this process waits for it.
      const row = await claimDelivery(store, id, this.#leaseId, this.#leaseFor(Math.max(Date.now(), Date.parse(due))), isoNow());
      if (!row) continue;
      taken++;
      this.#track(this.#drive(row));
    }
    return taken;
  }

  /** Waits for the deliveries started so far (tests; a stopping server after `stop`). */
  async settled(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }

  /** Ends retries, waits for attempts in flight (each bounded by its timeout), and lets go of the deliveries not ended. */
  async stop(): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#timer);
    await this.settled();
    await releaseDeliveries(this.#deps.store, this.#leaseId);
  }

  #track(p: Promise<unknown>): void {
    const tracked: Promise<void> = p.then(() => undefined, (err: Error) => this.#log(`werker server: a notification failed: ${err.message}`)).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  #leaseFor(dueMs: number): string {
    return new Date(dueMs + this.#policy.timeoutMs + this.#policy.leaseMarginMs).toISOString();
  }

  /** Sends one delivery to its end (or until this server stops), from the attempts and due time the store has. */
  async #drive(row: DeliveryRow): Promise<void> {
    this.#driving.add(row.id);
    try {
      await this.#attemptsOf(row);
    } finally {
      this.#driving.delete(row.id);
    }
  }

  async #attemptsOf(row: DeliveryRow): Promise<void> {
    const { store } = this.#deps;
    const { attempts: most, firstDelayMs, maxDelayMs } = this.#policy;
    let attempts = row.attempts;
    let due = Date.parse(row.next_attempt_at);
    let notice: RunNotice | undefined;
    for (;;) {
      if (!(await this.#sleep(due - Date.now()))) return this.#letGo(row);
      // Read again before each attempt: a rule deleted (or a run gone with its application) meanwhile ends the delivery.
      const rule = await getNotificationRuleRow(store, row.rule_id);
      if (!rule) return this.#end(row, undefined, { ok: false, retry: false, detail: `not sent: the notification rule ${row.rule_id} was deleted before the notification was delivered` }, attempts);
      notice ??= await this.#noticeOf(row);
      if (!notice) return this.#end(row, rule, { ok: false, retry: false, detail: `not sent: run ${row.run_id} no longer exists (its application was deleted?)` }, attempts);
      const outcome = await this.#attempt(rule, notice, row.id);
      // Cut short by this server stopping: not counted; the next process tries again (the same id: a receiver that got it drops it).
      if (!outcome.ok && this.#stop.signal.aborted) return this.#letGo(row);
      attempts++;
      if (outcome.ok || !outcome.retry || attempts >= most) return this.#end(row, rule, outcome, attempts);
      const wait = Math.min(maxDelayMs, Math.max(outcome.retryAfterMs ?? 0, firstDelayMs * 2 ** (attempts - 1)));
      due = Date.now() + wait;
      const detail = this.#maskerOf(rule).mask(`${outcome.detail}; trying again in ${Math.round(wait / 1000)} s`);
      const held = await updateDelivery(store, row.id, this.#leaseId, { attempts, next_attempt_at: new Date(due).toISOString(), lease_until: this.#leaseFor(due), detail });
      if (!held) return this.#log(`werker server: notification delivery ${row.id}: another server process took it over; this one stops sending it`);
      await recordDelivery(store, rule.id, { runId: row.run_id, status: 'sending', attempts, detail });
    }
  }

  /** The notice of the delivery's run, built as when the run ended (undefined: the run is gone). */
  async #noticeOf(row: DeliveryRow): Promise<RunNotice | undefined> {
    const { store } = this.#deps;
    const run = await getRunRow(store, row.run_id);
    if (!run) return undefined;
    const app = await getApplicationRow(store, run.application_id);
    const masker = maskerFor(await jobVariables(store, run.application_id, run.pipeline));
    return runNotice(run, app?.name ?? String(run.application_id), this.#deps.baseUrl(), row.reason, row.previous_status ?? undefined, masker);
  }

  /** A stopping server lets go of the delivery: the next process continues it at its due time. */
  async #letGo(row: DeliveryRow): Promise<void> {
    await updateDelivery(this.#deps.store, row.id, this.#leaseId, { lease_id: null, lease_until: null });
  }

  async #end(row: DeliveryRow, rule: NotificationRuleRow | undefined, outcome: AttemptOutcome, attempts: number): Promise<void> {
    const { store } = this.#deps;
    const detail = rule ? this.#maskerOf(rule).mask(outcome.detail) : outcome.detail;
    const status = outcome.ok ? 'delivered' : 'failed';
    const held = await updateDelivery(store, row.id, this.#leaseId, { status, attempts, detail, lease_id: null, lease_until: null });
    if (!held) return this.#log(`werker server: notification delivery ${row.id}: another server process took it over; its outcome here (${status}) is not recorded`);
    if (rule) await recordDelivery(store, rule.id, { runId: row.run_id, status, attempts, detail });
    if (!outcome.ok) this.#log(`werker server: notification rule ${row.rule_id}${rule ? ` (${rule.channel})` : ''} of application ${row.application_id}, run ${row.run_id}: not delivered after ${attempts} attempt(s): ${detail}`);
  }

  #maskerOf(rule: NotificationRuleRow): Masker {
    return new Masker([...this.#serverSecrets, ...(rule.channel === 'email' ? [] : [rule.target]), ...(rule.signing_secret ? [rule.signing_secret] : [])]);
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

  /** Waits `ms` (none when not positive), or less when the server stops; false when it stopped. */
  #sleep(ms: number): Promise<boolean> {
    const signal = this.#stop.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      if (ms <= 0) return resolve(true);
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
