import type { WorkflowSpec } from '../config/schema.ts';
import type { Store } from '../store/db.ts';
import { setWorkflowRunId, workflowRunRows, type NewRun, type RunRow } from '../store/runs.ts';
import { InputError } from './context.ts';
import type { RunQueue } from './run-queue.ts';
import type { ServerConfigReader } from './werckeryml.ts';

/**
 * Workflows on the server: starting one (triggering.ts calls `startWorkflow`) and queueing its
 * next entries once a run of it passed (the runner side calls `advanceWorkflow` on finish).
 */
export interface WorkflowDeps { store: Store; configs: ServerConfigReader; queue: RunQueue }

/** What every run of one trigger shares: the application, branch, commit and who asked. */
export type TriggerBase = Pick<NewRun, 'application_id' | 'branch' | 'commit_sha' | 'trigger' | 'triggered_by'>;

/** The workflow named in the wercker.yml at a commit. */
export async function workflowAt(configs: ServerConfigReader, appId: number, commit: string, name: string): Promise<WorkflowSpec> {
  const read = await configs.read(appId, commit);
  if (read === undefined) throw new InputError(`no wercker.yml at ${commit.slice(0, 8)}`);
  const { config, diagnostics } = read;
  const tooBig = diagnostics.find((d) => d.code === 'too-large' || d.code.startsWith('yaml-too-'));
  if (tooBig) throw new InputError(`wercker.yml at ${commit.slice(0, 8)}: ${tooBig.message}`);
  const found = config?.workflows.find((w) => w.name === name);
  if (!found) throw new InputError(`no workflow ${name} in wercker.yml at ${commit.slice(0, 8)} (workflows: ${config?.workflows.map((w) => w.name).join(', ') || 'none'})`);
  return found;
}

/** Starts the workflow `name`: queues its roots (entries without requires) as builds; returns the first, whose id names the group. */
export async function startWorkflow(deps: WorkflowDeps, base: TriggerBase, name: string): Promise<RunRow> {
  const workflow = await workflowAt(deps.configs, base.application_id, base.commit_sha, name);
  const roots = workflow.pipelines.filter((p) => p.requires.length === 0);
  if (!roots.length) throw new InputError(`workflow ${workflow.name} has no pipeline without requires to start from`);
  let first: RunRow | undefined;
  for (const root of roots) {
    const row = await deps.queue.enqueue({ ...base, pipeline: root.pipelineName, kind: 'build', workflow: workflow.name, workflow_step: root.name, workflow_run_id: first?.id ?? null });
    if (!first) {
      await setWorkflowRunId(deps.store, row.id, row.id);
      first = { ...row, workflow_run_id: row.id };
    }
  }
  return first!;
}

/** After a workflow run passed: queue each entry whose requirements have now all passed. */
export async function advanceWorkflow(deps: WorkflowDeps, row: RunRow): Promise<void> {
  if (!row.workflow || !row.workflow_step || row.status !== 'passed') return;
  const group = row.workflow_run_id ?? row.id;
  // A wercker.yml that can't be read now throws: the caller logs why the workflow stopped here.
  const workflow = await workflowAt(deps.configs, row.application_id, row.commit_sha, row.workflow);
  const runs = await workflowRunRows(deps.store, group);
  const passed = new Map<string, RunRow>();
  for (const r of runs) if (r.status === 'passed' && r.workflow_step) passed.set(r.workflow_step, r);
  const started = new Set(runs.map((r) => r.workflow_step));
  for (const entry of workflow.pipelines) {
    if (started.has(entry.name) || !entry.requires.includes(row.workflow_step)) continue;
    if (!entry.requires.every((r) => passed.has(r))) continue;
    // The output it starts from: artifactPipeline's, else the first requirement's.
    const source = passed.get(entry.artifactPipeline ?? entry.requires[0]!) ?? row;
    await deps.queue.enqueue({
      application_id: row.application_id, pipeline: entry.pipelineName, kind: 'deploy', branch: row.branch, commit_sha: row.commit_sha,
      trigger: 'workflow', triggered_by: row.triggered_by, workflow: row.workflow, workflow_step: entry.name, workflow_run_id: group, source_run_id: source.id,
    });
  }
}
