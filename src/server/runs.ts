import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { WorkflowSpec } from '../config/schema.ts';
import type { RunEvent, RunEventBody } from '../engine/events.ts';
import type { Masker } from '../util/mask.ts';
import { isoNow, type Store } from '../store/db.ts';
import { claimNextRun, expiredRuns, extendLease } from '../store/queue.ts';
import { appendEvents, createRun, getRunRow, listEventRows, listRunRows, stepEventRows, type EventRow, type NewRun, type RunRow } from '../store/runs.ts';
import type { applicationService } from './applications.ts';
import { assertBranchName } from './branch-name.ts';
import { InputError, type Run, type RunDetail, type RunStep, type ServerContext, type User } from './context.ts';
import type { LiveEvents } from './live.ts';
import { maskEvent, maskerFor } from './mask-events.ts';
import type { RepoMirrors } from './repos.ts';
import type { ServerConfigReader } from './werckeryml.ts';
import { OutputRemovedError } from './retention.ts';
import type { Job, RunnerBackend, RunnerEvent, RunnerFinish } from '../runner/protocol.ts';

export interface RunServiceOptions {
  dataDir: string;
  /** How long a claim lasts without a heartbeat. */
  leaseMs: number;
  baseUrl: string;
  /** A run whose runner died this many times fails instead of being requeued again. */
  maxAttempts: number;
  /** Events stored per run (`--max-run-events`); past it, output is dropped behind one marker. */
  runEvents: number;
}

type RunMembers = Pick<ServerContext, 'listRuns' | 'getRun' | 'listRunEvents' | 'followRun' | 'triggerRun' | 'cancelRun' | 'retryRun'>;
type Apps = ReturnType<typeof applicationService>;

/** Runs: triggering (and workflows), history, events, cancel/retry, and the runner side of the queue. */
export function runService(store: Store, apps: Apps, mirrors: RepoMirrors, configs: ServerConfigReader, live: LiveEvents, options: RunServiceOptions) {
  const db = store.db;
  const maskers = new Map<number, Masker>();
  const queuedListeners = new Set<() => void>();
  const outputsDir = path.join(options.dataDir, 'outputs');

  const names = async (ids: number[]): Promise<Map<number, string>> => {
    if (!ids.length) return new Map();
    const rows = await db.selectFrom('applications').select(['id', 'name']).where('id', 'in', [...new Set(ids)]).execute();
    return new Map(rows.map((r) => [r.id, r.name]));
  };
  const toRuns = async (rows: RunRow[]): Promise<Run[]> => {
    const n = await names(rows.map((r) => r.application_id));
    return rows.map((r) => toRun(r, n.get(r.application_id) ?? '?'));
  };
  const runOf = async (row: RunRow): Promise<Run> => (await toRuns([row]))[0]!;
  const mustGet = async (runId: number): Promise<RunRow> => {
    const row = await getRunRow(store, runId);
    if (!row) throw new InputError(`no run ${runId}`, 404);
    return row;
  };
  const byName = (by: User | string) => (typeof by === 'string' ? by : by.name);

  /** Stores events (masked) under a guard and tells live followers. */
  const record = async (runId: number, bodies: (RunEventBody & { at?: string })[], guard: (r: RunRow) => boolean, update?: (r: RunRow) => Partial<RunRow>): Promise<RunRow | undefined> => {
    const masker = await maskerOf(runId);
    const inputs = bodies.map((b) => {
      const { at, ...body } = maskEvent(masker, b as RunEventBody & { at?: string });
      return { type: body.type, body: JSON.stringify(body), at: typeof at === 'string' ? at : isoNow() };
    });
    const done = await appendEvents(store, runId, inputs, guard, update, { max: options.runEvents, marker: truncationMarker(options.runEvents) });
    if (!done) return undefined;
    live.publish(runId, done.rows.map(toEvent));
    return done.run;
  };
  const maskerOf = async (runId: number): Promise<Masker> => {
    let m = maskers.get(runId);
    if (!m) {
      const row = await mustGet(runId);
      m = maskerFor(await apps.jobVariables(row.application_id, row.pipeline));
      if (row.status === 'running') maskers.set(runId, m);
    }
    return m;
  };
  const finalEvent = (status: RunnerFinish['status'], durationMs: number, error?: { message: string; hint?: string }): RunEventBody =>
    ({ type: 'run.finished', status, durationMs, ...(error ? { error } : {}) });

  const queue = async (run: NewRun): Promise<RunRow> => {
    const row = await createRun(store, run);
    for (const fn of queuedListeners) fn();
    return row;
  };

  /** The workflow named in the wercker.yml at a commit. */
  const workflowAt = async (appId: number, commit: string, name: string): Promise<WorkflowSpec> => {
    const read = await configs.read(appId, commit);
    if (read === undefined) throw new InputError(`no wercker.yml at ${commit.slice(0, 8)}`);
    const { config, diagnostics } = read;
    const tooBig = diagnostics.find((d) => d.code === 'too-large' || d.code.startsWith('yaml-too-'));
    if (tooBig) throw new InputError(`wercker.yml at ${commit.slice(0, 8)}: ${tooBig.message}`);
    const found = config?.workflows.find((w) => w.name === name);
    if (!found) throw new InputError(`no workflow ${name} in wercker.yml at ${commit.slice(0, 8)} (workflows: ${config?.workflows.map((w) => w.name).join(', ') || 'none'})`);
    return found;
  };

  /** After a workflow run passed: queue each entry whose requirements have now all passed. */
  const advanceWorkflow = async (row: RunRow): Promise<void> => {
    if (!row.workflow || !row.workflow_step || row.status !== 'passed') return;
    const group = row.workflow_run_id ?? row.id;
    // A wercker.yml that can't be read now throws: the caller logs why the workflow stopped here.
    const workflow = await workflowAt(row.application_id, row.commit_sha, row.workflow);
    const runs = await db.selectFrom('runs').selectAll().where('workflow_run_id', '=', group).orderBy('id').execute();
    const passed = new Map<string, RunRow>();
    for (const r of runs) if (r.status === 'passed' && r.workflow_step) passed.set(r.workflow_step, r);
    const started = new Set(runs.map((r) => r.workflow_step));
    for (const entry of workflow.pipelines) {
      if (started.has(entry.name) || !entry.requires.includes(row.workflow_step)) continue;
      if (!entry.requires.every((r) => passed.has(r))) continue;
      // The output it starts from: artifactPipeline's, else the first requirement's.
      const source = passed.get(entry.artifactPipeline ?? entry.requires[0]!) ?? row;
      await queue({
        application_id: row.application_id, pipeline: entry.pipelineName, kind: 'deploy', branch: row.branch, commit_sha: row.commit_sha,
        trigger: 'workflow', triggered_by: row.triggered_by, workflow: row.workflow, workflow_step: entry.name, workflow_run_id: group, source_run_id: source.id,
      });
    }
  };

  const members: RunMembers = {
    async listRuns(q) {
      const limit = Math.min(Math.max(q.limit ?? 25, 1), 100);
      const rows = await listRunRows(store, { limit, ...(q.appId !== undefined ? { appId: q.appId } : {}), ...(q.before !== undefined ? { before: q.before } : {}), ...(q.status ? { status: q.status } : {}) });
      return { runs: await toRuns(rows), nextBefore: rows.length === limit ? rows.at(-1)!.id : null };
    },
    async getRun(runId) {
      const row = await getRunRow(store, runId);
      if (!row) return undefined;
      const detail: RunDetail = { ...(await runOf(row)), steps: foldSteps(await stepEventRows(store, runId, row.attempt)), lastSeq: row.last_seq };
      return detail;
    },
    async listRunEvents(runId, afterSeq = 0, limit = 1000) {
      return (await listEventRows(store, runId, afterSeq, limit)).map(toEvent);
    },
    followRun: (runId, onEvent) => live.follow(runId, onEvent),
    async triggerRun(appId, pipeline, opts, by) {
      const app = await apps.appRow(appId);
      // Every trigger (API, web form, webhook, `werker remote`) passes here: a branch is a git ref or nothing.
      const branch = assertBranchName(opts.branch || app.default_branch);
      if (opts.commit !== undefined && !/^[0-9a-f]{7,40}$/.test(opts.commit)) throw new InputError(`"commit" is a commit id (7 to 40 hex digits), not ${JSON.stringify(opts.commit)}`);
      const commit = await mirrors.resolve(appId, app.repository, opts.commit ?? branch);
      if (!commit) throw new InputError(opts.commit ? `no commit ${opts.commit} in ${app.repository}` : `no branch ${branch} in ${app.repository}`);
      const base = { application_id: appId, branch, commit_sha: commit, trigger: opts.trigger ?? 'api', triggered_by: byName(by) };
      if (pipeline.startsWith('workflow:')) {
        const workflow = await workflowAt(appId, commit, pipeline.slice('workflow:'.length));
        const roots = workflow.pipelines.filter((p) => p.requires.length === 0);
        if (!roots.length) throw new InputError(`workflow ${workflow.name} has no pipeline without requires to start from`);
        let first: RunRow | undefined;
        for (const root of roots) {
          const row = await queue({ ...base, pipeline: root.pipelineName, kind: 'build', workflow: workflow.name, workflow_step: root.name, workflow_run_id: first?.id ?? null });
          if (!first) {
            await db.updateTable('runs').set({ workflow_run_id: row.id }).where('id', '=', row.id).execute();
            first = { ...row, workflow_run_id: row.id };
          }
        }
        return runOf(first!);
      }
      if (!/^[A-Za-z0-9_.-]+$/.test(pipeline)) throw new InputError(`"${pipeline}" is not a pipeline name`);
      const kind = pipeline === 'deploy' ? 'deploy' : 'build';
      // A deploy on its own starts from the latest passed build of the branch, as `werker deploy` does locally.
      const source = kind === 'deploy'
        ? await db.selectFrom('runs').select('id').where('application_id', '=', appId).where('branch', '=', branch).where('kind', '=', 'build')
          .where('status', '=', 'passed').where('output_path', 'is not', null).orderBy('id', 'desc').limit(1).executeTakeFirst()
        : undefined;
      return runOf(await queue({ ...base, pipeline, kind, source_run_id: source?.id ?? null }));
    },
    async cancelRun(runId, by) {
      const row = await mustGet(runId);
      const who = byName(by);
      if (row.status === 'queued') {
        const done = await record(runId, [{ type: 'log', level: 'info', text: `cancelled by ${who} before it started` }, finalEvent('cancelled', 0)],
          (r) => r.status === 'queued', () => ({ status: 'cancelled', finished_at: isoNow(), duration_ms: 0, message: `cancelled by ${who}` }));
        if (done) return runOf(done);
      }
      const done = await record(runId, [{ type: 'log', level: 'info', text: `cancel requested by ${who}; stopping the run` }],
        (r) => r.status === 'running' && r.cancel_requested === 0, () => ({ cancel_requested: 1, message: `cancelled by ${who}` }));
      return runOf(done ?? (await mustGet(runId)));
    },
    async retryRun(runId, by) {
      const row = await mustGet(runId);
      if (row.status === 'queued' || row.status === 'running') throw new InputError(`run ${runId} is still ${row.status}; cancel it first`, 409);
      const source = row.source_run_id === null ? undefined : await getRunRow(store, row.source_run_id);
      if (source?.output_removed_at) throw new InputError(new OutputRemovedError(source.id, source.output_removed_at).fullMessage(), 409);
      return runOf(await queue({
        application_id: row.application_id, pipeline: row.pipeline, kind: row.kind, branch: row.branch, commit_sha: row.commit_sha,
        trigger: 'retry', triggered_by: byName(by), workflow: row.workflow, workflow_step: row.workflow_step, workflow_run_id: row.workflow_run_id,
        source_run_id: row.source_run_id, retry_of: row.id,
      }));
    },
  };

  /** The guard of every report: the run is running under this claim (lease id) made with this token. */
  const holds = (lease: string, tokenId: number | null) => (r: RunRow) => r.status === 'running' && r.lease_id === lease && r.lease_token_id === tokenId;
  /**
   * The runner side for one caller: `tokenId` is the runner token of a remote runner (null for
   * the embedded runner in this process). A claim is bound to the token and lease that made it.
   */
  const runnersFor = (tokenId: number | null): RunnerBackend => ({
    async claim(runner) {
      const row = await claimNextRun(store, runner, options.leaseMs, tokenId);
      if (!row) return undefined;
      const lease = row.lease_id!;
      const app = await apps.appRow(row.application_id);
      const variables = await apps.jobVariables(row.application_id, row.pipeline);
      maskers.set(row.id, maskerFor(variables));
      await record(row.id, [{ type: 'log', level: 'info', text: `runner ${runner} took the run (attempt ${row.attempt})` }], holds(lease, tokenId));
      const job: Job = {
        runId: row.id, attempt: row.attempt, lease, leaseMs: options.leaseMs, application: { id: app.id, name: app.name, repository: app.repository },
        pipeline: row.pipeline, kind: row.kind, branch: row.branch, commit: row.commit_sha, variables, sourceRunId: row.source_run_id, baseUrl: options.baseUrl,
      };
      return job;
    },
    async heartbeat(runId, lease) {
      const r = await extendLease(store, runId, lease, tokenId, options.leaseMs);
      return r && { cancel: r.cancelRequested };
    },
    async appendEvents(runId, lease, events: RunnerEvent[]) {
      // run.finished comes with finish(), together with the status, so the two never disagree.
      const bodies = events.filter((e) => e && typeof e.type === 'string' && e.type !== 'run.finished');
      return Boolean(await record(runId, bodies, holds(lease, tokenId)));
    },
    async finish(runId, lease, result) {
      const status = result.status === 'passed' || result.status === 'cancelled' ? result.status : 'failed';
      const durationMs = Number(result.durationMs) || 0;
      const done = await record(runId, [finalEvent(status, durationMs, result.error)], holds(lease, tokenId), (r) => ({
        status, finished_at: isoNow(), duration_ms: durationMs, lease_until: null, lease_id: null,
        message: status === 'passed' ? null : (r.message ?? result.message ?? result.error?.message ?? null),
      }));
      if (!done) return false;
      maskers.delete(runId);
      await advanceWorkflow(done).catch((err: Error) => process.stderr.write(`werker server: workflow after run ${runId}: ${err.message}; its next runs were not queued (start them from the application page)\n`));
      return true;
    },
    async putOutput(runId, lease, tar) {
      const row = await getRunRow(store, runId);
      if (!row || !holds(lease, tokenId)(row)) return false;
      await mkdir(outputsDir, { recursive: true, mode: 0o700 });
      const file = path.join(outputsDir, `${runId}.tar`);
      const part = `${file}.${lease}.part`;
      try {
        await pipe(Readable.fromWeb(tar as WebReadableStream<Uint8Array>), createWriteStream(part, { mode: 0o600 }));
        // Still this claim's run once the upload is in: only then does it become the run's output.
        const still = await getRunRow(store, runId);
        if (!still || !holds(lease, tokenId)(still)) return false;
        await rename(part, file);
      } finally {
        await rm(part, { force: true });
      }
      await db.updateTable('runs').set({ output_path: file }).where('id', '=', runId).execute();
      return true;
    },
    async release(runId, lease, reason) {
      const row = await getRunRow(store, runId);
      if (!row || !holds(lease, tokenId)(row)) return false;
      maskers.delete(runId);
      const why = String(reason || 'the runner stopped').slice(0, 300);
      const attempt = row.attempt;
      // A run whose cancel was asked for ends now; any other goes back to the queue (the next
      // claim is a new lease, so nothing the stopped runner still sends is taken).
      if (row.cancel_requested) {
        const message = row.message ?? 'cancelled';
        return Boolean(await record(runId, [{ type: 'log', level: 'warn', text: `${why}; the run was being cancelled, so it ends here` }, finalEvent('cancelled', 0, { message })], holds(lease, tokenId),
          () => ({ status: 'cancelled', finished_at: isoNow(), lease_until: null, lease_id: null, message })));
      }
      const done = await record(runId, [{ type: 'log', level: 'warn', text: `${why} during attempt ${attempt}; the run is queued again for attempt ${attempt + 1}` }], holds(lease, tokenId),
        () => ({ status: 'queued', runner: null, lease_until: null, lease_id: null, lease_token_id: null }));
      if (done) for (const fn of queuedListeners) fn();
      return Boolean(done);
    },
    async sourceOutput(runId, lease) {
      const row = await getRunRow(store, runId);
      // Only for the claim working on the run: a runner token is not a key to every output.
      const source = row && holds(lease, tokenId)(row) && row.source_run_id ? await getRunRow(store, row.source_run_id) : undefined;
      if (source?.output_removed_at) throw new OutputRemovedError(source.id, source.output_removed_at);
      if (!source?.output_path || !existsSync(source.output_path)) return undefined;
      return Readable.toWeb(createReadStream(source.output_path)) as ReadableStream<Uint8Array>;
    },
  });
  const runners = runnersFor(null);

  /** Runs whose lease ran out go back to the queue (or fail after maxAttempts, or end if cancelled). */
  const reap = async (): Promise<number[]> => {
    const requeued: number[] = [];
    for (const row of await expiredRuns(store)) {
      // The run ends or waits for a new claim (which loads its variables again): its masker goes.
      maskers.delete(row.id);
      const expired = (r: RunRow) => r.status === 'running' && r.attempt === row.attempt && (r.lease_until ?? '') < isoNow();
      const lost = `runner ${row.runner ?? '?'} stopped answering (no heartbeat before ${row.lease_until})`;
      if (row.cancel_requested || row.attempt >= options.maxAttempts) {
        const status = row.cancel_requested ? 'cancelled' : 'failed';
        const message = row.cancel_requested ? (row.message ?? 'cancelled') : `${lost}; gave up after ${row.attempt} attempts`;
        await record(row.id, [{ type: 'log', level: 'warn', text: lost }, finalEvent(status, 0, { message })], expired,
          () => ({ status, finished_at: isoNow(), lease_until: null, lease_id: null, message }));
        continue;
      }
      const done = await record(row.id, [{ type: 'log', level: 'warn', text: `${lost}; the run is queued again for attempt ${row.attempt + 1}` }], expired,
        () => ({ status: 'queued', runner: null, lease_until: null, lease_id: null, lease_token_id: null }));
      if (done) requeued.push(row.id);
    }
    if (requeued.length) for (const fn of queuedListeners) fn();
    return requeued;
  };

  return {
    ...members, runners, runnersFor, reap,
    runStatus: async (runId: number) => (await getRunRow(store, runId))?.status,
    /** Called whenever a run is queued (the embedded runner wakes up at once). */
    onQueued(fn: () => void): () => void {
      queuedListeners.add(fn);
      return () => queuedListeners.delete(fn);
    },
  };
}

/** The log line stored in place of everything a run printed past the cap. */
function truncationMarker(max: number): { type: string; body: string; at: string } {
  const text = `output truncated: this run reached ${max} stored events, so the rest of its output is not kept (steps and the result still are); the server's --max-run-events sets the cap`;
  return { type: 'log', body: JSON.stringify({ type: 'log', level: 'warn', text }), at: isoNow() };
}

function toRun(r: RunRow, applicationName: string): Run {
  return {
    id: r.id, applicationId: r.application_id, applicationName, pipeline: r.pipeline, kind: r.kind, branch: r.branch, commit: r.commit_sha,
    status: r.status, trigger: r.trigger, triggeredBy: r.triggered_by, workflow: r.workflow, workflowRunId: r.workflow_run_id,
    sourceRunId: r.source_run_id, retryOf: r.retry_of, attempt: r.attempt, runner: r.runner, createdAt: r.created_at,
    startedAt: r.started_at, finishedAt: r.finished_at, durationMs: r.duration_ms, message: r.message, cancelRequested: r.cancel_requested === 1,
    outputRemovedAt: r.output_removed_at,
  };
}

function toEvent(row: EventRow): RunEvent {
  return { ...(JSON.parse(row.body) as RunEventBody), runId: String(row.run_id), seq: row.seq, at: row.at } as RunEvent;
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
