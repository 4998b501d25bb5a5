import type { Selectable, Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { isoNow, type Store } from './db.ts';

export type RunRow = Selectable<Database['runs']>;
export type EventRow = Selectable<Database['run_events']>;
export type NewRun = Pick<RunRow, 'application_id' | 'pipeline' | 'kind' | 'branch' | 'commit_sha' | 'trigger' | 'triggered_by'> &
  Partial<Pick<RunRow, 'workflow' | 'workflow_step' | 'workflow_run_id' | 'source_run_id' | 'retry_of' | 'workflow_inputs' | 'resume_from' | 'for_runner' | 'for_runner_until' | RunForgeField>>;
/** What a run knows of the forge it came from; a retry and a workflow's later runs keep them. */
export type RunForgeField = 'forge' | 'pull_request' | 'untrusted' | 'approved_by' | 'approved_at';
/** An event as stored: its type, the JSON of its body, its time. */
export interface EventInput { type: string; body: string; at: string }

/** Queues a run. */
export async function createRun(store: Store, run: NewRun): Promise<RunRow> {
  return store.db.insertInto('runs').values({
    workflow: null, workflow_step: null, workflow_run_id: null, source_run_id: null, retry_of: null, workflow_inputs: null, snapshot_step: null, resume_from: null, for_runner: null, for_runner_until: null,
    forge: null, pull_request: null, approved_by: null, approved_at: null, forge_status_error: null, ...run,
    status: 'queued', attempt: 0, cancel_requested: 0, last_seq: 0, created_at: isoNow(),
  }).returningAll().executeTakeFirstOrThrow();
}

export async function getRunRow(store: Store, id: number): Promise<RunRow | undefined> {
  return store.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The newest passed build of a branch that stored an output (what a deploy on its own starts from). */
export async function latestPassedBuild(store: Store, appId: number, branch: string): Promise<Pick<RunRow, 'id'> | undefined> {
  return store.db.selectFrom('runs').select('id').where('application_id', '=', appId).where('branch', '=', branch).where('kind', '=', 'build')
    .where('status', '=', 'passed').where('output_path', 'is not', null).orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/** Newest first; `before` pages by id. */
export async function listRunRows(store: Store, q: { appId?: number; before?: number; limit: number; status?: RunRow['status'] }): Promise<RunRow[]> {
  let query = store.db.selectFrom('runs').selectAll().orderBy('id', 'desc').limit(q.limit);
  if (q.appId !== undefined) query = query.where('application_id', '=', q.appId);
  if (q.before !== undefined) query = query.where('id', '<', q.before);
  if (q.status) query = query.where('status', '=', q.status);
  return query.execute();
}

/**
 * Appends events to a run, numbering them after the run's last seq, but only while `guard`
 * holds on the locked run row (e.g. "still running under this attempt"). Returns the stored
 * rows, or undefined when the guard failed. The row lock (Postgres) / the single writer
 * (SQLite) keeps concurrent appenders (runner, reaper, cancel) from taking the same seq.
 */
export async function appendEvents(store: Store, runId: number, events: EventInput[], guard: (run: RunRow) => boolean, update: (run: RunRow) => Partial<RunRow> = () => ({}), cap?: EventCap): Promise<{ run: RunRow; rows: EventRow[] } | undefined> {
  return store.db.transaction().execute(async (tx) => {
    const run = await lockRun(store, tx, runId);
    if (!run || !guard(run)) return undefined;
    const { kept, truncated } = cap ? capEvents(run, events, cap) : { kept: events, truncated: false };
    const rows = kept.map((e, i) => ({ run_id: runId, seq: run.last_seq + i + 1, attempt: run.attempt, type: e.type, body: e.body, at: e.at }));
    if (rows.length) await tx.insertInto('run_events').values(rows).execute();
    const changes = { ...update(run), last_seq: run.last_seq + rows.length, ...(truncated ? { events_truncated: 1 } : {}) };
    const updated = await tx.updateTable('runs').set(changes).where('id', '=', runId).returningAll().executeTakeFirstOrThrow();
    return { run: updated, rows };
  });
}

/** At most `max` events per run; past it only the events that give the run its steps and its end are stored. */
export interface EventCap { max: number; marker: EventInput }

/** Events that are always stored, past the cap too: the step list and the run's end stay true. */
const STRUCTURAL = new Set(['run.started', 'run.finished', 'step.started', 'step.finished', 'phase.finished']);

/**
 * What of a batch is stored under the cap: everything while the run has room; then the marker
 * once (the first time an event is dropped) and, from then on, the structural events alone.
 */
function capEvents(run: RunRow, events: EventInput[], cap: EventCap): { kept: EventInput[]; truncated: boolean } {
  let room = cap.max - run.last_seq;
  let marked = run.events_truncated === 1;
  const kept: EventInput[] = [];
  for (const e of events) {
    if (!marked && room > 0) {
      kept.push(e);
      room--;
    } else if (STRUCTURAL.has(e.type)) {
      kept.push(e);
    } else if (!marked) {
      kept.push({ ...cap.marker, at: e.at });
      marked = true;
    }
  }
  return { kept, truncated: marked && run.events_truncated !== 1 };
}

async function lockRun(store: Store, tx: Transaction<Database>, runId: number): Promise<RunRow | undefined> {
  const q = tx.selectFrom('runs').selectAll().where('id', '=', runId);
  return (store.dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
}

export async function listEventRows(store: Store, runId: number, afterSeq: number, limit: number, types?: string[]): Promise<EventRow[]> {
  let q = store.db.selectFrom('run_events').selectAll().where('run_id', '=', runId).where('seq', '>', afterSeq).orderBy('seq').limit(limit);
  if (types) q = q.where('type', 'in', types);
  return q.execute();
}

/** The step events of one attempt, for the step list with durations. */
export async function stepEventRows(store: Store, runId: number, attempt: number): Promise<EventRow[]> {
  return store.db.selectFrom('run_events').selectAll().where('run_id', '=', runId).where('attempt', '=', attempt)
    .where('type', 'in', ['step.started', 'step.finished']).orderBy('seq').execute();
}

/** Deletes an application's runs and everything hanging off them. */
export async function deleteRunsOf(store: Store, tx: Transaction<Database>, appId: number): Promise<void> {
  const ids = tx.selectFrom('runs').select('id').where('application_id', '=', appId);
  await tx.deleteFrom('run_events').where('run_id', 'in', ids).execute();
  await tx.deleteFrom('run_claims').where('run_id', 'in', ids).execute();
  await tx.deleteFrom('application_forges').where('application_id', '=', appId).execute();
  await tx.deleteFrom('runs').where('application_id', '=', appId).execute();
}

/**
 * What a pipeline's badge shows for a branch: the status of its newest finished run, and whether
 * one of its runs is queued or running (for a pipeline that has not finished once yet).
 */
export async function pipelineBadgeState(store: Store, appId: number, pipeline: string, branch: string): Promise<{ finished: RunRow['status'] | undefined; active: boolean }> {
  const ofPipeline = () => store.db.selectFrom('runs').select('status').where('application_id', '=', appId).where('pipeline', '=', pipeline).where('branch', '=', branch);
  const finished = await ofPipeline().where('status', 'in', ['passed', 'failed', 'cancelled']).orderBy('id', 'desc').limit(1).executeTakeFirst();
  const active = await ofPipeline().where('status', 'in', ['queued', 'running']).limit(1).executeTakeFirst();
  return { finished: finished?.status, active: Boolean(active) };
}

/** The forge fields a run passes on to its retry and to its workflow's later runs (trust included). */
export function inheritedForgeFields(row: RunRow): Pick<RunRow, RunForgeField> {
  return { forge: row.forge, pull_request: row.pull_request, untrusted: row.untrusted, approved_by: row.approved_by, approved_at: row.approved_at };
}

/** Records the outcome of a commit status request: the error, or null once one succeeded. */
export async function setForgeStatusError(store: Store, runId: number, error: string | null): Promise<void> {
  await store.db.updateTable('runs').set({ forge_status_error: error }).where('id', '=', runId).execute();
}

/** The forge is owed the status of `status` (the run's state now), posted by `lease` until `until`. */
export async function oweForgeStatus(store: Store, runId: number, status: string, lease: string, until: string): Promise<void> {
  await store.db.updateTable('runs').set({ forge_status_owed: status, forge_status_lease: lease, forge_status_until: until }).where('id', '=', runId).execute();
}

/** The status of `status` reached the forge (or was given up): nothing owed, unless a newer state is. */
export async function settleForgeStatus(store: Store, runId: number, status: string): Promise<void> {
  await store.db.updateTable('runs').set({ forge_status_owed: null, forge_status_lease: null, forge_status_until: null })
    .where('id', '=', runId).where('forge_status_owed', '=', status).execute();
}

/** Runs owing the forge a status that no server process holds (lease let go, or over at `nowIso`). */
export async function owedForgeStatusRunIds(store: Store, nowIso: string): Promise<number[]> {
  const rows = await store.db.selectFrom('runs').select('id').where('forge_status_owed', 'is not', null)
    .where((eb) => eb.or([eb('forge_status_until', 'is', null), eb('forge_status_until', '<=', nowIso)])).orderBy('id').execute();
  return rows.map((r) => r.id);
}

/**
 * Takes over posting a run's owed status: a compare-and-set on the lease, so of several server
 * processes exactly one gets it (on PostgreSQL the second UPDATE waits for the first's row lock,
 * then matches nothing). Undefined: someone else has it, or nothing is owed any more.
 */
export async function claimForgeStatus(store: Store, runId: number, lease: string, until: string, nowIso: string): Promise<RunRow | undefined> {
  return store.db.updateTable('runs').set({ forge_status_lease: lease, forge_status_until: until })
    .where('id', '=', runId).where('forge_status_owed', 'is not', null)
    .where((eb) => eb.or([eb('forge_status_until', 'is', null), eb('forge_status_until', '<=', nowIso)]))
    .returningAll().executeTakeFirst();
}

/** Lets go of the statuses `lease` still owes (a server stopping): the next process posts them at once. */
export async function releaseForgeStatuses(store: Store, lease: string): Promise<void> {
  await store.db.updateTable('runs').set({ forge_status_lease: null, forge_status_until: null }).where('forge_status_lease', '=', lease).execute();
}

/** A newer run of the same application, commit and pipeline: its status replaces this run's on the forge. */
export async function newerRunOnContext(store: Store, run: Pick<RunRow, 'id' | 'application_id' | 'commit_sha' | 'pipeline'>): Promise<boolean> {
  const row = await store.db.selectFrom('runs').select('id').where('application_id', '=', run.application_id).where('commit_sha', '=', run.commit_sha)
    .where('pipeline', '=', run.pipeline).where('id', '>', run.id).limit(1).executeTakeFirst();
  return row !== undefined;
}
