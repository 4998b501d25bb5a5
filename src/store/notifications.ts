import type { Selectable, Transaction } from 'kysely';
import { isoNow, type Store } from './db.ts';
import type { RunRow } from './runs.ts';
import type { Database } from './schema.ts';

export type NotificationRuleRow = Selectable<Database['notification_rules']>;
export type NewNotificationRuleRow = Pick<NotificationRuleRow, 'trigger_on' | 'pipelines' | 'branches' | 'channel' | 'target' | 'signing_secret' | 'created_by'>;
/** A delivery's outcome as the rule keeps it. */
export type DeliveryRecord = { runId: number; status: NonNullable<NotificationRuleRow['last_status']>; attempts: number; detail: string };

/** An application's rules, oldest first. */
export async function listNotificationRuleRows(store: Store, appId: number): Promise<NotificationRuleRow[]> {
  return store.db.selectFrom('notification_rules').selectAll().where('application_id', '=', appId).orderBy('id').execute();
}

export async function insertNotificationRule(store: Store, appId: number, rule: NewNotificationRuleRow): Promise<NotificationRuleRow> {
  return store.db.insertInto('notification_rules').values({ application_id: appId, ...rule, created_at: isoNow() }).returningAll().executeTakeFirstOrThrow();
}

/** False when the application has no such rule. */
export async function deleteNotificationRuleRow(store: Store, appId: number, id: number): Promise<boolean> {
  const r = await store.db.deleteFrom('notification_rules').where('application_id', '=', appId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** The rules go with their application (store/applications.ts deleteApplicationAndAll). */
export async function deleteNotificationRulesOf(tx: Transaction<Database>, appId: number): Promise<void> {
  await tx.deleteFrom('notification_rules').where('application_id', '=', appId).execute();
}

/** Writes a delivery's progress or outcome on its rule (a rule deleted meanwhile is left alone). */
export async function recordDelivery(store: Store, ruleId: number, d: DeliveryRecord): Promise<void> {
  await store.db.updateTable('notification_rules')
    .set({ last_run_id: d.runId, last_status: d.status, last_attempts: d.attempts, last_detail: d.detail, last_at: isoNow() })
    .where('id', '=', ruleId).execute();
}

export async function getNotificationRuleRow(store: Store, id: number): Promise<NotificationRuleRow | undefined> {
  return store.db.selectFrom('notification_rules').selectAll().where('id', '=', id).executeTakeFirst();
}

export type DeliveryRow = Selectable<Database['notification_deliveries']>;
export type NewDeliveryRow = Pick<DeliveryRow, 'id' | 'rule_id' | 'application_id' | 'run_id' | 'reason' | 'previous_status' | 'next_attempt_at' | 'lease_id' | 'lease_until'>;
/** What an attempt changes on a delivery (its lease too: `lease_id: null` lets it go). */
export type DeliveryProgress = Partial<Pick<DeliveryRow, 'status' | 'attempts' | 'next_attempt_at' | 'detail' | 'lease_id' | 'lease_until'>>;

/** Stores a delivery as it starts (`sending`, no attempt yet), held by the process that sends it. */
export async function insertDelivery(store: Store, d: NewDeliveryRow): Promise<DeliveryRow> {
  const now = isoNow();
  return store.db.insertInto('notification_deliveries').values({ ...d, status: 'sending', attempts: 0, detail: 'sending', created_at: now, updated_at: now })
    .returningAll().executeTakeFirstOrThrow();
}

/** Deliveries still `sending` that nobody holds (lease let go, or over at `nowIso`): the ones a process may claim, with when each is due. */
export async function claimableDeliveries(store: Store, nowIso: string): Promise<Pick<DeliveryRow, 'id' | 'next_attempt_at'>[]> {
  return store.db.selectFrom('notification_deliveries').select(['id', 'next_attempt_at']).where('status', '=', 'sending')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', nowIso)]))
    .orderBy('created_at').execute();
}

/**
 * Takes a delivery over: a compare-and-set on its lease, so of several server processes that
 * read the same free delivery exactly one gets it (on PostgreSQL the second UPDATE waits for the
 * first's row lock, then sees the new lease and matches nothing). Undefined: someone else has it,
 * or it ended.
 */
export async function claimDelivery(store: Store, id: string, leaseId: string, leaseUntil: string, nowIso: string): Promise<DeliveryRow | undefined> {
  return store.db.updateTable('notification_deliveries').set({ lease_id: leaseId, lease_until: leaseUntil, updated_at: isoNow() })
    .where('id', '=', id).where('status', '=', 'sending')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', nowIso)]))
    .returningAll().executeTakeFirst();
}

/** Writes an attempt's outcome, only while `leaseId` still holds the delivery; false when another process took it over. */
export async function updateDelivery(store: Store, id: string, leaseId: string, p: DeliveryProgress): Promise<boolean> {
  const r = await store.db.updateTable('notification_deliveries').set({ ...p, updated_at: isoNow() })
    .where('id', '=', id).where('lease_id', '=', leaseId).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Lets go of every delivery `leaseId` still holds (a server stopping): the next process takes them up at once. */
export async function releaseDeliveries(store: Store, leaseId: string): Promise<void> {
  await store.db.updateTable('notification_deliveries').set({ lease_id: null, lease_until: null, updated_at: isoNow() })
    .where('lease_id', '=', leaseId).where('status', '=', 'sending').execute();
}

/** Forgets deliveries that ended before `beforeIso` (their outcome stays on the rule). */
export async function pruneDeliveries(store: Store, beforeIso: string): Promise<void> {
  await store.db.deleteFrom('notification_deliveries').where('status', '!=', 'sending').where('updated_at', '<', beforeIso).execute();
}

/**
 * The result of the run before `run` of the same application, pipeline and branch: the newest
 * earlier run (by id, the order they were started in) that passed or failed. A cancelled run
 * says nothing about the branch's health and is passed over. (A query on `runs` kept here, with
 * the one feature that asks it.)
 */
export async function previousResult(store: Store, run: Pick<RunRow, 'id' | 'application_id' | 'pipeline' | 'branch'>): Promise<'passed' | 'failed' | undefined> {
  const row = await store.db.selectFrom('runs').select('status')
    .where('application_id', '=', run.application_id).where('pipeline', '=', run.pipeline).where('branch', '=', run.branch)
    .where('id', '<', run.id).where('status', 'in', ['passed', 'failed'])
    .orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row?.status === 'passed' || row?.status === 'failed' ? row.status : undefined;
}
