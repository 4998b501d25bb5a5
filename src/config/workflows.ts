import type { Diagnostic, DiagnosticBag, PathPart } from './diagnostics.ts';
import { nodeAt, toPlain, type YNode } from './yaml-tree.ts';
import { checkWorkflow } from './field-checks.ts';
import type { PipelineSpec, WorkflowInput, WorkflowSpec } from './schema.ts';

/**
 * Reads and checks `workflows:` (docs/wercker-compat.md §2.8). wercker checked workflows only in
 * check-config and when running one, so each problem is a warning here (`werker build` runs
 * its pipeline regardless); check-config and `werker workflow` make them errors
 * (`workflowErrors`).
 */
export function normalizeWorkflows(node: YNode, pipelines: Record<string, PipelineSpec>, bag: DiagnosticBag): WorkflowSpec[] {
  const path: PathPart[] = ['workflows'];
  if (node.kind !== 'seq') {
    bag.warn(INVALID, node.span, path, 'invalid workflows: must be a list of {name, pipelines}', HINT);
    return [];
  }
  const out: WorkflowSpec[] = [];
  node.items.forEach((item, i) => {
    const plain = toPlain(item);
    const issue = checkWorkflow(plain);
    if (issue) {
      const where = nodeAt(item, issue.path).node.span;
      bag.warn(INVALID, where, [...path, i, ...issue.path], `invalid workflow: ${issue.message}`, HINT);
      return;
    }
    // Checked above: the fields werker reads have WorkflowInput's types (other keys are ignored).
    const written = plain as WorkflowInput;
    const wf: WorkflowSpec = {
      name: written.name,
      at: { line: item.span.line, col: item.span.col },
      pipelines: written.pipelines.map((p) => {
        const entry: WorkflowSpec['pipelines'][number] = { name: p.name, pipelineName: p.pipelineName ?? p.name, requires: p.requires ?? [] };
        if (p.artifactPipeline) entry.artifactPipeline = p.artifactPipeline;
        if (p.envFile) entry.envFile = p.envFile;
        return entry;
      }),
    };
    const problem = workflowProblem(wf, pipelines);
    if (problem) bag.warn(INVALID, item.span, [...path, i], `invalid workflow ${wf.name}: ${problem}`, HINT);
    else out.push(wf);
  });
  return out;
}

const INVALID = 'invalid-workflow';
const HINT = '`werker workflow` and check-config refuse the file until this is fixed; its pipelines still run on their own';

/** The workflow problems among a file's diagnostics, as errors: for check-config and `werker workflow`. */
export function workflowErrors(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => (d.code === INVALID ? { ...d, severity: 'error' } : d));
}

/** wercker's checks, in its order; the first problem found, or undefined. */
export function workflowProblem(wf: WorkflowSpec, pipelines: Record<string, PipelineSpec>): string | undefined {
  const names = new Set<string>();
  for (const p of wf.pipelines) {
    if (names.has(p.name)) return `duplicate pipeline ${p.name}`;
    names.add(p.name);
  }
  for (const p of wf.pipelines) if (!pipelines[p.pipelineName]) return `pipeline ${p.pipelineName} is not defined`;
  for (const p of wf.pipelines) for (const r of p.requires) if (!names.has(r)) return `no pipeline ${r} required by ${p.name}`;
  const roots = wf.pipelines.filter((p) => p.requires.length === 0).map((p) => p.name);
  if (roots.length === 0) return 'no root pipeline';
  if (roots.length > 1) return `multiple root pipelines: ${roots.join(', ')}`;
  const cycle = findCycle(wf);
  if (cycle) return `contains cycle ${cycle.join(' -> ')}`;
  return artifactPipelineProblem(wf);
}

/**
 * werker's own check, after wercker's: `artifactPipeline` must name a pipeline the entry requires
 * (directly or through another), so its output exists when the entry starts, on the CLI and on
 * the server alike (docs/wercker-compat.md §4.11).
 */
function artifactPipelineProblem(wf: WorkflowSpec): string | undefined {
  const requires = new Map(wf.pipelines.map((p) => [p.name, p.requires]));
  const upstream = (name: string, seen = new Set<string>()): Set<string> => {
    for (const r of requires.get(name) ?? []) if (!seen.has(r)) upstream(r, seen.add(r));
    return seen;
  };
  const bad = wf.pipelines.find((p) => p.artifactPipeline !== undefined && !upstream(p.name).has(p.artifactPipeline));
  return bad ? `artifactPipeline ${bad.artifactPipeline} of ${bad.name} is not a pipeline ${bad.name} requires` : undefined;
}

function findCycle(wf: WorkflowSpec): string[] | undefined {
  const requires = new Map(wf.pipelines.map((p) => [p.name, p.requires]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const r of requires.get(name) ?? []) {
      const found = visit(r);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const p of wf.pipelines) {
    const found = visit(p.name);
    if (found) return found;
  }
  return undefined;
}
