import type { Selectable } from 'kysely';
import { isoNow, type Store } from './db.ts';
import { createRun, type NewRun, type RunRow } from './runs.ts';
import type { Database } from './schema.ts';
import { openWorkflowGroup } from './workflows.ts';

export type ScheduleRow = Selectable<Database['schedules']>;
/** What a person sets; the rest (next run, last run, times) the server keeps. */
export type ScheduleFields = Pick<ScheduleRow, 'name' | 'expression' | 'time_zone' | 'pipeline' | 'branch' | 'enabled' | 'next_run_at'>;

/** An application's schedules, by name. */
export async function listScheduleRows(store: Store, appId: number): Promise<ScheduleRow[]> {
  return store.db.selectFrom('schedules').selectAll().where('application_id', '=', appId).orderBy('name').execute();
}

export async function getScheduleRow(store: Store, appId: number, id: number): Promise<ScheduleRow | undefined> {
  return store.db.selectFrom('schedules').selectAll().where('application_id', '=', appId).where('id', '=', id).executeTakeFirst();
}

export async function countSchedules(store: Store, appId: number): Promise<number> {
  const row = await store.db.selectFrom('schedules').select((eb) => eb.fn.countAll<number | string>().as('n')).where('application_id', '=', appId).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function scheduleNameTaken(store: Store, appId: number, name: string, exceptId?: number): Promise<boolean> {
  let q = store.db.selectFrom('schedules').select('id').where('application_id', '=', appId).where('name', '=', name);
  if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
  return Boolean(await q.executeTakeFirst());
}

export async function insertScheduleRow(store: Store, appId: number, fields: ScheduleFields, by: string): Promise<ScheduleRow> {
  const now = isoNow();
  return store.db.insertInto('schedules').values({ application_id: appId, ...fields, created_by: by, created_at: now, updated_at: now, last_occurrence_at: null, last_run_id: null, last_error: null })
    .returningAll().executeTakeFirstOrThrow();
}

/** Replaces what a person set (and the next occurrence, computed anew); undefined when the application has no such schedule. */
export async function updateScheduleRow(store: Store, appId: number, id: number, fields: ScheduleFields): Promise<ScheduleRow | undefined> {
  return store.db.updateTable('schedules').set({ ...fields, updated_at: isoNow() }).where('application_id', '=', appId).where('id', '=', id).returningAll().executeTakeFirst();
}

/** False when the application has no such schedule. */
export async function deleteScheduleRow(store: Store, appId: number, id: number): Promise<boolean> {
  const r = await store.db.deleteFrom('schedules').where('application_id', '=', appId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Enabled schedules whose next occurrence is at or before `nowIso`, the most overdue first. */
export async function dueScheduleRows(store: Store, nowIso: string): Promise<ScheduleRow[]> {
  return store.db.selectFrom('schedules').selectAll().where('enabled', '=', 1).where('next_run_at', '<=', nowIso).orderBy('next_run_at').orderBy('id').execute();
}

/** One occurrence to claim: the schedule, the occurrence as read (`due`), the one after it, and the run it queues (none: `error` says why). */
export interface OccurrenceClaim {
  scheduleId: number;
  due: string;
  next: string | null;
  run?: { row: NewRun; opensWorkflow: boolean };
  error?: string;
}

/**
 * Claims an occurrence and queues its run in one transaction. The compare-and-set on
 * `next_run_at` decides who claims it: of several server processes (or ticks) that read the same
 * due occurrence, exactly one moves it on and inserts the run; the others match no row and
 * insert nothing (on PostgreSQL the second UPDATE waits for the first's row lock, then sees the
 * new value). A process that dies before committing leaves the occurrence due for the next tick.
 * Undefined: someone else claimed it, or the schedule changed (edited, disabled, deleted).
 */
export async function claimOccurrence(store: Store, claim: OccurrenceClaim): Promise<{ run: RunRow | undefined } | undefined> {
  return store.db.transaction().execute(async (tx) => {
    const moved = await tx.updateTable('schedules')
      .set({ next_run_at: claim.next, last_occurrence_at: claim.due, last_error: claim.error ?? null })
      .where('id', '=', claim.scheduleId).where('enabled', '=', 1).where('next_run_at', '=', claim.due)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) return undefined;
    if (!claim.run) return { run: undefined };
    // The run's own queries go through the transaction: the store with its db swapped for it.
    const inTx: Store = { ...store, db: tx };
    let run = await createRun(inTx, claim.run.row);
    if (claim.run.opensWorkflow) {
      await openWorkflowGroup(inTx, run.id);
      run = { ...run, workflow_run_id: run.id };
    }
    await tx.updateTable('schedules').set({ last_run_id: run.id }).where('id', '=', claim.scheduleId).execute();
    return { run };
  });
}

/** The status of each of these runs (the schedules' last runs), by id. */
export async function runStatuses(store: Store, ids: number[]): Promise<Map<number, RunRow['status']>> {
  if (!ids.length) return new Map();
  const rows = await store.db.selectFrom('runs').select(['id', 'status']).where('id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((r) => [r.id, r.status]));
}
