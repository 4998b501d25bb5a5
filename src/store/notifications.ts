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
