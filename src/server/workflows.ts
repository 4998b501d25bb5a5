import { inputsOf, planWorkflow, readySteps, type WorkflowPlan, type WorkflowStep } from '../plan/workflow.ts';
import type { Store } from '../store/db.ts';
import { inheritedForgeFields, type NewRun, type RunForgeField, type RunRow } from '../store/runs.ts';
import { openWorkflowGroup, workflowGroupRuns } from '../store/workflows.ts';
import { InputError } from './context.ts';
import type { Job, WorkflowInputs } from '../runner/protocol.ts';
import type { ServerConfigReader } from './werckeryml.ts';

/** What a workflow's runs share: the application, the commit, who started it. */
export type WorkflowBase = Pick<NewRun, 'application_id' | 'branch' | 'commit_sha' | 'trigger' | 'triggered_by'> & Partial<Pick<NewRun, RunForgeField>>;

/**
 * Workflows on the server, with the meaning `werker workflow` has (src/plan/workflow.ts,
 * docs/wercker-compat.md §4.11): every pipeline a deploy that stores its output, each queued
 * once everything it requires passed, with the outputs of all its inputs. Steps that become ready
 * together are queued together (runners may take them at once); the CLI runs them one by one.
 */
export function workflowService(store: Store, configs: ServerConfigReader, queue: QueueRun) {
  const deps: WorkflowDeps = { store, configs, queue };
  const advancing = new Map<number, Promise<void>>();

  return {
    /** Queues the workflow's root (deploy, on the commit's checkout); its run is the group's first. */
    async start(base: WorkflowBase, name: string): Promise<RunRow> {
      const row = await queue(await rootRun(configs, base, name));
      await openWorkflowGroup(store, row.id);
      return { ...row, workflow_run_id: row.id };
    },

    /** The workflow's root run, not queued yet (a schedule queues it in its own transaction; the run opens the group). */
    rootRun: (base: WorkflowBase, name: string): Promise<NewRun> => rootRun(configs, base, name),

    /**
     * Called when a run passed. One group advances at a time: two requirements passing together
     * must not both queue the step that needs them both.
     */
    async advance(row: RunRow): Promise<void> {
      if (!row.workflow || !row.workflow_step || row.status !== 'passed') return;
      const group = row.workflow_run_id ?? row.id;
      const next = (advancing.get(group) ?? Promise.resolve()).catch(() => undefined).then(() => advanceNow(deps, row, group));
      advancing.set(group, next);
      try {
        await next;
      } finally {
        if (advancing.get(group) === next) advancing.delete(group);
      }
    },

    /** What a claimed run's job carries about its outputs: whether it stores one, and a workflow pipeline's inputs. */
    jobFields(row: RunRow): Pick<Job, 'artifacts' | 'workflow'> {
      return { artifacts: row.kind === 'build' || row.workflow !== null, ...(row.workflow_inputs ? { workflow: JSON.parse(row.workflow_inputs) as WorkflowInputs } : {}) };
    },

    /** The run whose output a runner may fetch for `row`: its source, or `from` when that is one of its workflow inputs. */
    sourceRunOf(row: RunRow, from?: number): number | null {
      if (from === undefined) return row.source_run_id;
      const planned = row.workflow_inputs ? (JSON.parse(row.workflow_inputs) as WorkflowInputs) : undefined;
      return planned?.inputs.some((i) => i.runId === from) ? from : null;
    },
  };
}

/** The server's workflows (service.ts makes one; triggering and the runner side use it). */
export type Workflows = ReturnType<typeof workflowService>;

type QueueRun = (run: NewRun) => Promise<RunRow>;
interface WorkflowDeps { store: Store; configs: ServerConfigReader; queue: QueueRun }

/** The planned workflow named in the wercker.yml at a commit. */
async function planAt(configs: ServerConfigReader, appId: number, commit: string, name: string): Promise<WorkflowPlan> {
  const read = await configs.read(appId, commit);
  if (read === undefined) throw new InputError(`no wercker.yml at ${commit.slice(0, 8)}`);
  const { config, diagnostics } = read;
  const tooBig = diagnostics.find((d) => d.code === 'too-large' || d.code.startsWith('yaml-too-'));
  if (tooBig) throw new InputError(`wercker.yml at ${commit.slice(0, 8)}: ${tooBig.message}`);
  const plan = config && planWorkflow(config.workflows, name);
  if (!plan) throw new InputError(`no workflow ${name} in wercker.yml at ${commit.slice(0, 8)} (workflows: ${config?.workflows.map((w) => w.name).join(', ') || 'none'})`);
  return plan;
}

/** The run that starts workflow `name` at the base's commit: its root step, on the commit's checkout. */
async function rootRun(configs: ServerConfigReader, base: WorkflowBase, name: string): Promise<NewRun> {
  const plan = await planAt(configs, base.application_id, base.commit_sha, name);
  const [root] = readySteps(plan, new Set(), new Set());
  if (!root) throw new InputError(`workflow ${name} has no pipeline without requires to start from`);
  return stepRun(base, plan.name, null, root, new Map());
}

function stepRun(base: WorkflowBase, workflow: string, group: number | null, step: WorkflowStep, outputs: ReadonlyMap<string, RunRow>): NewRun {
  const inputs = inputsOf(step).map((name) => ({ name, runId: outputs.get(name)!.id }));
  const planned: WorkflowInputs = { source: step.source, inputs, ...(step.envFile ? { envFile: step.envFile } : {}) };
  return {
    ...base, pipeline: step.pipeline, kind: step.kind, workflow, workflow_step: step.name, workflow_run_id: group,
    // One input is also the run's source (the run list shows what it deploys; retention keeps it while queued).
    source_run_id: step.source.layout === 'output' ? inputs[0]!.runId : null, workflow_inputs: JSON.stringify(planned),
  };
}

/** After a workflow run passed: queue each step not started yet whose requirements have now all passed. */
async function advanceNow(deps: WorkflowDeps, row: RunRow, group: number): Promise<void> {
  // A wercker.yml that can't be read now throws: the caller logs why the workflow stopped here.
  const plan = await planAt(deps.configs, row.application_id, row.commit_sha, row.workflow!);
  const runs = await workflowGroupRuns(deps.store, group);
  const passed = new Map<string, RunRow>();
  for (const r of runs) if (r.status === 'passed' && r.workflow_step) passed.set(r.workflow_step, r);
  const started = new Set(runs.flatMap((r) => (r.workflow_step ? [r.workflow_step] : [])));
  const base = { application_id: row.application_id, branch: row.branch, commit_sha: row.commit_sha, trigger: 'workflow', triggered_by: row.triggered_by, ...inheritedForgeFields(row) };
  for (const step of readySteps(plan, new Set(passed.keys()), started)) await deps.queue(stepRun(base, plan.name, group, step, passed));
}
