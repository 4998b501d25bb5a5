import type { WorkflowSpec } from '../config/schema.ts';

/**
 * Where a workflow pipeline's source comes from (docs/wercker-compat.md §4.11):
 * - `project`: the root runs on the project itself (the current directory locally, the commit's
 *   checkout on the server);
 * - `output`: one input (its one requirement, or `artifactPipeline`): that entry's output *is* the
 *   source, as a deploy runs on a build's output (§4.10);
 * - `merged`: several inputs: the project, with each input's output copied into
 *   `<project>/<entry name>/` (the name as written in `requires`, unique in the workflow; a
 *   file of the project at that path is overwritten).
 */
export type WorkflowSource =
  | { layout: 'project' }
  | { layout: 'output'; from: string }
  | { layout: 'merged'; from: string[] };

/** One pipeline of a planned workflow: everything either runner needs to run it the same way. */
export interface WorkflowStep {
  /** The entry's name in the workflow (what `requires` lists). */
  name: string;
  /** The wercker.yml pipeline it runs (`pipelineName`, default `name`). */
  pipeline: string;
  /**
   * Always `deploy`: wercker ran every workflow pipeline, the root included, as a deploy
   * (`DEPLOY=true`, `WERCKER_DEPLOY_ID`/`_URL`, no `BUILD`/`CI`; §3.2, §4.11).
   */
  kind: 'deploy';
  /** The entries that must have passed before it starts. */
  requires: string[];
  source: WorkflowSource;
  /** Always true: every workflow pipeline stores its output (`--artifacts` forced on), so later ones can take it. */
  artifacts: true;
  /** Path relative to the project: its X_ / XXX_ lines replace the ENVIRONMENT file (§3.1 item 5). */
  envFile?: string;
  /** The run's `--deploy-target` (env `WERCKER_DEPLOYTARGET_NAME`), given to every pipeline of the workflow. */
  deployTarget?: string;
}

export interface WorkflowPlan {
  name: string;
  /** In run order: declaration order, each entry once everything it requires has run. */
  steps: WorkflowStep[];
}

export interface WorkflowPlanOptions {
  deployTarget?: string;
}

/**
 * The one meaning of a `workflows:` entry, used by `werker workflow` and by the server
 * (docs/wercker-compat.md §4.11). The workflows are the loaded config's (checked: one root, no
 * cycle, every requirement known, `artifactPipeline` among the requirements); undefined when
 * `name` is not one of them.
 */
export function planWorkflow(workflows: readonly WorkflowSpec[], name: string, options: WorkflowPlanOptions = {}): WorkflowPlan | undefined {
  const workflow = workflows.find((w) => w.name === name);
  if (!workflow) return undefined;
  return { name, steps: runOrder(workflow).map((entry) => planStep(entry, options)) };
}

function planStep(entry: WorkflowSpec['pipelines'][number], options: WorkflowPlanOptions): WorkflowStep {
  const step: WorkflowStep = { name: entry.name, pipeline: entry.pipelineName, kind: 'deploy', requires: [...entry.requires], source: sourceOf(entry), artifacts: true };
  if (entry.envFile) step.envFile = entry.envFile;
  if (options.deployTarget) step.deployTarget = options.deployTarget;
  return step;
}

/** The root: the project; `artifactPipeline` or one requirement: that output; several: merged. */
function sourceOf(entry: WorkflowSpec['pipelines'][number]): WorkflowSource {
  if (entry.artifactPipeline) return { layout: 'output', from: entry.artifactPipeline };
  if (entry.requires.length === 0) return { layout: 'project' };
  if (entry.requires.length === 1) return { layout: 'output', from: entry.requires[0]! };
  return { layout: 'merged', from: [...entry.requires] };
}

/** Declaration order, each pipeline as soon as all it requires have run (validation ruled out cycles). */
function runOrder(workflow: WorkflowSpec): WorkflowSpec['pipelines'] {
  const done = new Set<string>();
  const out: WorkflowSpec['pipelines'] = [];
  while (out.length < workflow.pipelines.length) {
    const next = workflow.pipelines.find((p) => !done.has(p.name) && p.requires.every((r) => done.has(r)));
    if (!next) break;
    done.add(next.name);
    out.push(next);
  }
  return out;
}

/** The entries whose outputs a step receives, in the order it receives them. */
export function inputsOf(step: WorkflowStep): string[] {
  const { source } = step;
  return source.layout === 'project' ? [] : source.layout === 'output' ? [source.from] : source.from;
}

/**
 * The steps that may start now: not started yet, and every requirement passed. The CLI takes the
 * first of them each time (one at a time, wercker's order); the server queues them all at once.
 */
export function readySteps(plan: WorkflowPlan, passed: ReadonlySet<string>, started: ReadonlySet<string>): WorkflowStep[] {
  return plan.steps.filter((s) => !started.has(s.name) && s.requires.every((r) => passed.has(r)));
}
