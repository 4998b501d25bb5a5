import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/load.ts';
import type { WorkflowSpec } from '../../config/schema.ts';
import { workflowErrors } from '../../config/workflows.ts';
import { ConfigError, UsageError } from '../../errors.ts';
import { connectDocker } from '../../runtime/docker/client.ts';
import { objectId } from '../../util/ids.ts';
import type { Output } from '../output.ts';
import type { PipelineFlags } from '../pipeline-options.ts';
import { assertRunnable } from '../../plan/prepare.ts';
import { prepareRun, warnOn } from '../prepare-run.ts';
import { executeRun } from './run-pipeline.ts';

/**
 * `werker workflow NAME` (docs/wercker-compat.md §4.11): the workflow's pipelines one at a time,
 * each as soon as everything it requires has passed, each as a deploy with artifacts on, the output
 * of the pipeline(s) it requires as its source. The first failure stops the workflow.
 */
export async function workflowCommand(name: string | undefined, target: string, flags: PipelineFlags, global: { environment: string }, out: Output): Promise<number> {
  if (!name) throw new UsageError('Missing workflow name to run', { hint: 'werker workflow NAME; the names are under workflows: in wercker.yml' });
  const projectDir = path.resolve(target);
  const loaded = await loadConfig(projectDir, flags.werckerYml);
  // An invalid workflows: section stops here, and only here (docs/wercker-compat.md §2.8, §4.11).
  const diagnostics = workflowErrors(loaded.diagnostics);
  if (!loaded.config || diagnostics.some((d) => d.severity === 'error')) throw new ConfigError(diagnostics, loaded.text);
  const workflow = loaded.config.workflows.find((w) => w.name === name);
  if (!workflow) {
    throw new UsageError(`No workflow named ${name}`, { hint: `workflows in ${loaded.file}: ${loaded.config.workflows.map((w) => w.name).join(', ') || 'none'}` });
  }
  const runtime = await connectDocker(flags.dockerHost ? { host: flags.dockerHost } : {});
  const outputs = new Map<string, string>();
  const temps: string[] = [];
  try {
    for (const entry of order(workflow)) {
      const source = await sourceFor(entry, projectDir, outputs, temps);
      const runId = objectId();
      const stepFlags: PipelineFlags = { ...flags, pipeline: entry.pipelineName, artifacts: true, runId, werckerYml: path.resolve(loaded.file) };
      out.stderr(`--> workflow ${name}: pipeline ${entry.name} (${entry.pipelineName})`);
      const plan = await prepareRun('deploy', source, stepFlags, entry.envFile ?? global.environment, runtime, warnOn(out));
      assertRunnable(plan);
      const code = await executeRun(plan, runtime, flags, out);
      if (code !== 0) {
        out.stderr(`Unable to run workflow: unable to run pipeline ${entry.name}: exit code ${code}`);
        return code;
      }
      outputs.set(entry.name, path.join(plan.workingDir, 'builds', runId, 'output'));
    }
    return 0;
  } finally {
    for (const t of temps) await rm(t, { recursive: true, force: true });
  }
}

/** Declaration order, each pipeline as soon as all it requires have run (validation ruled out cycles). */
export function order(workflow: WorkflowSpec): WorkflowSpec['pipelines'] {
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

/** The root runs on the project; one source (or artifactPipeline) → its output; several → each output in a sub-dir. */
async function sourceFor(entry: WorkflowSpec["pipelines"][number], projectDir: string, outputs: Map<string, string>, temps: string[]): Promise<string> {
  const sources = entry.artifactPipeline ? [entry.artifactPipeline] : entry.requires;
  if (sources.length === 0) return projectDir;
  if (sources.length === 1) return outputs.get(sources[0]!)!;
  const dir = await mkdtemp(path.join(tmpdir(), 'werker-workflow-'));
  temps.push(dir);
  await cp(projectDir, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.werker`) });
  for (const s of sources) await cp(outputs.get(s)!, path.join(dir, s), { recursive: true });
  return dir;
}
