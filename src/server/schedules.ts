import type { Store } from '../store/db.ts';
import {
  claimOccurrence, countSchedules, deleteScheduleRow, dueScheduleRows, getScheduleRow, insertScheduleRow, listScheduleRows, runStatuses,
  scheduleNameTaken, updateScheduleRow, type OccurrenceClaim, type ScheduleFields, type ScheduleRow,
} from '../store/schedules.ts';
import { requireApplication, requireManagedApplication } from './applications.ts';
import { assertBranchName } from './branch-name.ts';
import { InputError, type RunStatus, type Schedule, type ScheduleContext, type ScheduleInput } from './context.ts';
import type { ServerLimits } from './limits.ts';
import type { RepoMirrors } from './repos.ts';
import type { RunChanges } from './run-changes.ts';
import type { RunQueue } from './run-queue.ts';
import { checkFrequency, checkTimeZone, readCron } from './schedule-times.ts';
import { pipelineRun, resolveTrigger } from './triggering.ts';
import type { Workflows } from './workflows.ts';

export interface ScheduleDeps {
  store: Store;
  mirrors: RepoMirrors;
  workflows: Workflows;
  queue: RunQueue;
  changes: RunChanges;
  limits: Pick<ServerLimits, 'schedulesPerApplication' | 'scheduleMinIntervalMs'>;
  /** The clock the schedules are read by (tests pass their own). */
  now: () => Date;
}

const SCHEDULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const PIPELINE_NAME = /^(workflow:)?[A-Za-z0-9_.-]+$/;
/** How long an occurrence whose run can't be planned is tried again before it is given up. */
const PLAN_RETRY_MS = 5 * 60_000;
/** Longer than any sensible five fields: a bound on what is stored and shown. */
const MAX_EXPRESSION = 200;

/**
 * Schedules (src/server/README.md, "Schedules"): cron expressions per application that queue
 * a pipeline or a workflow on a branch's head commit. Any user lists them; maintainers and admins
 * manage them (policy.ts). `tick` queues what is due: the timer below calls it on every server.
 */
export function scheduleService(deps: ScheduleDeps): ScheduleContext & { tick(): Promise<number[]> } {
  const { store } = deps;
  const get = async (appId: number, id: number) => (await toSchedules(store, [await requireSchedule(store, appId, id)]))[0]!;
  return {
    async list(appId) {
      await requireApplication(store, appId);
      return toSchedules(store, await listScheduleRows(store, appId));
    },
    get,
    async create(appId, input, by) {
      await requireManagedApplication(store, appId, by, 'add schedules');
      const count = await countSchedules(store, appId);
      if (count >= deps.limits.schedulesPerApplication) throw new InputError(`the application has ${count} schedules, the most it may have; delete one first`, 409);
      const fields = await checkedFields(deps, appId, input);
      return get(appId, (await insertScheduleRow(store, appId, fields, by.name)).id);
    },
    async update(appId, id, input, by) {
      await requireManagedApplication(store, appId, by, 'change its schedules');
      const row = await requireSchedule(store, appId, id);
      const merged: ScheduleInput = { name: row.name, expression: row.expression, pipeline: row.pipeline, branch: row.branch, timeZone: row.time_zone, enabled: row.enabled === 1, ...definedOf(input) };
      await updateScheduleRow(store, appId, id, await checkedFields(deps, appId, merged, id));
      return get(appId, id);
    },
    async remove(appId, id, by) {
      await requireManagedApplication(store, appId, by, 'delete its schedules');
      if (!(await deleteScheduleRow(store, appId, id))) throw new InputError(`no schedule ${id} in this application`, 404);
    },
    tick: () => tickSchedules(deps),
  };
}

async function requireSchedule(store: Store, appId: number, id: number): Promise<ScheduleRow> {
  const row = await getScheduleRow(store, appId, id);
  if (!row) throw new InputError(`no schedule ${id} in this application`, 404);
  return row;
}

/** The input's fields that are set (an update changes only those). */
function definedOf(input: Partial<ScheduleInput>): Partial<ScheduleInput> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<ScheduleInput>;
}

/** Every field checked, and the next occurrence from now (none while disabled). */
async function checkedFields(deps: ScheduleDeps, appId: number, input: ScheduleInput, exceptId?: number): Promise<ScheduleFields> {
  const name = input.name.trim();
  if (!SCHEDULE_NAME.test(name)) throw new InputError(`"${name}" is not a schedule name: letters, digits and "_.-", at most 64, starting with a letter or digit`);
  if (await scheduleNameTaken(deps.store, appId, name, exceptId)) throw new InputError(`the application has a schedule named ${name} already`, 409);
  const timeZone = checkTimeZone(input.timeZone ?? 'UTC');
  const expression = input.expression.trim();
  if (expression.length > MAX_EXPRESSION) throw new InputError(`a cron expression is at most ${MAX_EXPRESSION} characters`);
  const cron = readCron(expression, timeZone);
  const now = deps.now();
  checkFrequency(expression, cron, deps.limits.scheduleMinIntervalMs, now);
  const pipeline = input.pipeline.trim();
  if (!PIPELINE_NAME.test(pipeline) || pipeline.length > 200) throw new InputError(`"${pipeline}" is not a pipeline name, nor workflow:NAME`);
  const app = await requireApplication(deps.store, appId);
  const branch = assertBranchName(input.branch?.trim() || app.default_branch);
  const enabled = input.enabled ?? true;
  const next = enabled ? (cron.nextAfter(now)?.toISOString() ?? null) : null;
  return { name, expression, time_zone: timeZone, pipeline, branch, enabled: enabled ? 1 : 0, next_run_at: next };
}

async function toSchedules(store: Store, rows: ScheduleRow[]): Promise<Schedule[]> {
  const statuses = await runStatuses(store, rows.flatMap((r) => (r.last_run_id === null ? [] : [r.last_run_id])));
  return rows.map((r) => toSchedule(r, r.last_run_id === null ? undefined : statuses.get(r.last_run_id)));
}

function toSchedule(r: ScheduleRow, lastStatus: RunStatus | undefined): Schedule {
  return {
    id: r.id, applicationId: r.application_id, name: r.name, expression: r.expression, timeZone: r.time_zone, pipeline: r.pipeline, branch: r.branch,
    enabled: r.enabled === 1, nextRunAt: r.next_run_at, lastOccurrenceAt: r.last_occurrence_at,
    lastRun: r.last_run_id === null ? null : { id: r.last_run_id, status: lastStatus ?? null }, lastError: r.last_error,
    createdBy: r.created_by, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

/**
 * Queues one run for each due schedule and returns their ids. Each occurrence is claimed in the
 * store (claimOccurrence): another server process, or this one's next tick, finds it claimed.
 * The next occurrence is counted from now, not from the one missed: a server that was down over
 * several occurrences runs the latest missed one once, not each of them.
 */
async function tickSchedules(deps: ScheduleDeps): Promise<number[]> {
  const now = deps.now();
  const queued: number[] = [];
  for (const row of await dueScheduleRows(deps.store, now.toISOString())) {
    try {
      const runId = await fireSchedule(deps, row, now);
      if (runId !== undefined) queued.push(runId);
    } catch (err) {
      // Not claimed: the next tick tries this occurrence again.
      process.stderr.write(`werker server: schedule ${row.name} (application ${row.application_id}): ${(err as Error).message}; the next tick tries again\n`);
    }
  }
  if (queued.length) deps.queue.ring();
  return queued;
}

async function fireSchedule(deps: ScheduleDeps, row: ScheduleRow, now: Date): Promise<number | undefined> {
  const claim: OccurrenceClaim = { scheduleId: row.id, due: row.next_run_at!, next: null };
  try {
    claim.next = readCron(row.expression, row.time_zone).nextAfter(now)?.toISOString() ?? null;
    claim.run = await plannedRun(deps, row);
  } catch (err) {
    // The repository unreachable, the branch or the workflow gone: tried again at each tick for a
    // few minutes (a fetch may fail once), then the occurrence queues nothing and the schedule
    // says why. Anything else (the database) is left for the next tick.
    if (!(err instanceof InputError) || now.getTime() - Date.parse(claim.due) < PLAN_RETRY_MS) throw err;
    claim.error = err.message;
  }
  const claimed = await claimOccurrence(deps.store, claim);
  if (!claimed) return undefined;
  if (!claimed.run) {
    process.stderr.write(`werker server: schedule ${row.name} (application ${row.application_id}) queued no run for ${claim.due}: ${claim.error}\n`);
    return undefined;
  }
  deps.changes.emit(claimed.run, undefined);
  return claimed.run.id;
}

/** The run an occurrence queues: at the branch's head commit now, triggered by `schedule NAME`. */
async function plannedRun(deps: ScheduleDeps, row: ScheduleRow): Promise<NonNullable<OccurrenceClaim['run']>> {
  const base = await resolveTrigger(deps.store, deps.mirrors, row.application_id, { branch: row.branch, trigger: 'schedule' }, `schedule ${row.name}`);
  if (row.pipeline.startsWith('workflow:')) return { row: await deps.workflows.rootRun(base, row.pipeline.slice('workflow:'.length)), opensWorkflow: true };
  return { row: await pipelineRun(deps.store, base, row.pipeline), opensWorkflow: false };
}

/** Ticks at once (an occurrence missed while the server was down) and then every `intervalMs`; the stop function waits for a tick in progress. */
export function startScheduler(tick: () => Promise<number[]>, intervalMs: number): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const run = () => {
    if (running) return;
    running = tick()
      .catch((err: Error) => process.stderr.write(`werker server: checking schedules failed: ${err.message}; the next tick tries again\n`))
      .finally(() => (running = undefined));
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    // The store closes next: a tick still claiming must finish first.
    await running;
  };
}
