import { applicationNames } from '../store/applications.ts';
import type { Store } from '../store/db.ts';
import { getRunRow, listEventRows, listRunRows, stepEventRows, type EventRow, type RunRow } from '../store/runs.ts';
import { InputError, type Run, type RunDetail, type RunStatus, type RunStep, type ServerContext } from './context.ts';
import type { LiveEvents } from './live.ts';
import { toEvent } from './run-events.ts';

type HistoryMembers = Pick<ServerContext, 'listRuns' | 'getRun' | 'listRunEvents' | 'followRun'> & {
  runStatus(runId: number): Promise<RunStatus | undefined>;
};

/** Run history: pages of runs, one run with its steps, its stored events, and following new ones live. */
export function runHistory(store: Store, live: LiveEvents): HistoryMembers {
  return {
    async listRuns(q) {
      const limit = Math.min(Math.max(q.limit ?? 25, 1), 100);
      const rows = await listRunRows(store, { limit, ...(q.appId !== undefined ? { appId: q.appId } : {}), ...(q.before !== undefined ? { before: q.before } : {}), ...(q.status ? { status: q.status } : {}) });
      return { runs: await toRuns(store, rows), nextBefore: rows.length === limit ? rows.at(-1)!.id : null };
    },
    async getRun(runId) {
      const row = await getRunRow(store, runId);
      if (!row) return undefined;
      const detail: RunDetail = { ...(await runOf(store, row)), steps: foldSteps(await stepEventRows(store, runId, row.attempt)), lastSeq: row.last_seq };
      return detail;
    },
    async listRunEvents(runId, afterSeq = 0, limit = 1000) {
      return (await listEventRows(store, runId, afterSeq, limit)).map(toEvent);
    },
    followRun: (runId, onEvent) => live.follow(runId, onEvent),
    runStatus: async (runId) => (await getRunRow(store, runId))?.status,
  };
}

/** The run's row; 404 when there is none. */
export async function requireRun(store: Store, runId: number): Promise<RunRow> {
  const row = await getRunRow(store, runId);
  if (!row) throw new InputError(`no run ${runId}`, 404);
  return row;
}

/** One run as the API shows it. */
export async function runOf(store: Store, row: RunRow): Promise<Run> {
  return (await toRuns(store, [row]))[0]!;
}

async function toRuns(store: Store, rows: RunRow[]): Promise<Run[]> {
  const names = await applicationNames(store, rows.map((r) => r.application_id));
  return rows.map((r) => toRun(r, names.get(r.application_id) ?? '?'));
}

function toRun(r: RunRow, applicationName: string): Run {
  return {
    id: r.id, applicationId: r.application_id, applicationName, pipeline: r.pipeline, kind: r.kind, branch: r.branch, commit: r.commit_sha,
    status: r.status, trigger: r.trigger, triggeredBy: r.triggered_by, workflow: r.workflow, workflowRunId: r.workflow_run_id,
    sourceRunId: r.source_run_id, retryOf: r.retry_of, attempt: r.attempt, runner: r.runner, createdAt: r.created_at,
    startedAt: r.started_at, finishedAt: r.finished_at, durationMs: r.duration_ms, message: r.message, cancelRequested: r.cancel_requested === 1,
    outputRemovedAt: r.output_removed_at, pullRequest: r.pull_request, untrusted: r.untrusted === 1, approvedBy: r.approved_by, approvedAt: r.approved_at,
    forgeStatusError: r.forge_status_error,
    snapshotStep: r.snapshot_step,
  };
}

/** The step list of one attempt from its step.started / step.finished events. */
function foldSteps(rows: EventRow[]): RunStep[] {
  const steps = new Map<string, RunStep>();
  for (const row of rows) {
    const e = toEvent(row);
    if (e.type !== 'step.started' && e.type !== 'step.finished') continue;
    const key = `${e.phase}:${e.step}`;
    if (e.type === 'step.started') {
      steps.set(key, { phase: e.phase, step: e.step, name: e.name, status: 'running', startedAt: e.at, durationMs: null, exitCode: null, startSeq: e.seq });
    } else {
      const s = steps.get(key) ?? { phase: e.phase, step: e.step, name: e.name, status: 'running', startedAt: e.at, durationMs: null, exitCode: null, startSeq: e.seq };
      steps.set(key, { ...s, status: e.status, durationMs: e.durationMs, exitCode: e.exitCode });
    }
  }
  return [...steps.values()];
}
