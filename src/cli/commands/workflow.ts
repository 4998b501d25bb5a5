import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { workflowErrors } from '../../config/workflows.ts';
import { assembleWorkflowSource } from '../../engine/workflow-source.ts';
import { ConfigError, UsageError } from '../../errors.ts';
import { planWorkflow, type WorkflowStep } from '../../plan/workflow.ts';
import { connectDocker } from '../../runtime/docker/client.ts';
import { dockerConnection } from '../docker-flags.ts';
import { readGitInfo } from '../../runtime/git.ts';
import type { ContainerRuntime } from '../../runtime/runtime.ts';
import { objectId } from '../../util/ids.ts';
import type { Output } from '../output.ts';
import type { PipelineFlags } from '../pipeline-options.ts';
import { assertRunnable } from '../../plan/prepare.ts';
import { prepareRun, warnOn } from '../prepare-run.ts';
import { isProjectUrl } from '../project-url.ts';
import { downloadedProject, executeRun } from './run-pipeline.ts';

/**
 * `werker workflow NAME` (docs/wercker-compat.md §4.11): the planned steps (src/plan/workflow.ts,
 * the same plan the server runs) one at a time in order, each as a deploy with artifacts on, on
 * the source the plan gives it. The first failure stops the workflow.
 */
export async function workflowCommand(name: string | undefined, target: string, flags: PipelineFlags, global: { environment: string }, out: Output): Promise<number> {
  if (!name) throw new UsageError('Missing workflow name to run', { hint: 'werker workflow NAME; the names are under workflows: in wercker.yml' });
  // An http(s) target is the project's tarball, as for build, dev and deploy (docs/wercker-compat.md §4.3, §8).
  if (isProjectUrl(target)) ({ target, flags } = await downloadedProject(target, flags, out));
  const projectDir = path.resolve(target);
  const loaded = await loadConfig(projectDir, flags.werckerYml);
  // An invalid workflows: section stops here, and only here (docs/wercker-compat.md §2.8, §4.11).
  const diagnostics = workflowErrors(loaded.diagnostics);
  if (!loaded.config || diagnostics.some((d) => d.severity === 'error')) throw new ConfigError(diagnostics, loaded.text);
  const plan = planWorkflow(loaded.config.workflows, name, flags.deployTarget ? { deployTarget: flags.deployTarget } : {});
  if (!plan) {
    throw new UsageError(`No workflow named ${name}`, { hint: `workflows in ${loaded.file}: ${loaded.config.workflows.map((w) => w.name).join(', ') || 'none'}` });
  }
  const runtime = await connectDocker(dockerConnection(flags));
  // Every pipeline gets the project's git facts, also those that run on an output (no .git there), as on the server.
  const git = await readGitInfo(projectDir);
  const shared: PipelineFlags = { ...flags, werckerYml: path.resolve(loaded.file), gitBranch: flags.gitBranch ?? git.branch, gitCommit: flags.gitCommit ?? git.commit, gitTag: flags.gitTag ?? git.tag };
  const run = new WorkflowRun(projectDir, shared, global.environment, runtime, out);
  try {
    for (const step of plan.steps) {
      out.stderr(`--> workflow ${name}: pipeline ${step.name} (${step.pipeline})`);
      const code = await run.step(step);
      if (code !== 0) {
        out.stderr(`Unable to run workflow: unable to run pipeline ${step.name}: exit code ${code}`);
        return code;
      }
    }
    return 0;
  } finally {
    await run.cleanup();
  }
}

/** The state of one local workflow run: each step's stored output, and the scratch dirs of merged sources. */
class WorkflowRun {
  readonly #outputs = new Map<string, string>();
  readonly #temps: string[] = [];

  constructor(readonly projectDir: string, readonly flags: PipelineFlags, readonly environment: string, readonly runtime: ContainerRuntime, readonly out: Output) {}

  /** Runs one planned step as a deploy with artifacts on its assembled source; its exit code. */
  async step(step: WorkflowStep): Promise<number> {
    const source = await this.#source(step);
    const runId = objectId();
    const flags: PipelineFlags = { ...this.flags, pipeline: step.pipeline, artifacts: step.artifacts, runId };
    if (step.deployTarget) flags.deployTarget = step.deployTarget;
    else delete flags.deployTarget;
    // An entry's envFile is read from the project, whichever source the pipeline runs on (§3.1 item 5).
    const environment = step.envFile ? path.resolve(this.projectDir, step.envFile) : this.environment;
    const plan = await prepareRun(step.kind, source, flags, environment, this.runtime, warnOn(this.out));
    assertRunnable(plan);
    const code = await executeRun(plan, this.runtime, this.flags, this.out);
    if (code === 0) this.#outputs.set(step.name, path.join(plan.workingDir, 'builds', runId, 'output'));
    return code;
  }

  async #source(step: WorkflowStep): Promise<string> {
    const scratchDir = step.source.layout === 'merged' ? await mkdtemp(path.join(tmpdir(), 'werker-workflow-')) : '';
    if (scratchDir) this.#temps.push(scratchDir);
    return assembleWorkflowSource(step.source, { projectDir: this.projectDir, scratchDir, skip: [path.resolve(this.flags.workingDir)] }, async (name) => this.#outputs.get(name)!);
  }

  async cleanup(): Promise<void> {
    for (const t of this.#temps) await rm(t, { recursive: true, force: true });
  }
}
