import { pathString, type DiagnosticBag, type PathPart, type Span } from './diagnostics.ts';
import { normalizeImage, normalizeServices } from './images.ts';
import { scalarText } from './scalars.ts';
import type { DeferredProblem, PipelineSpec, StepSpec } from './schema.ts';
import { normalizeSteps } from './steps.ts';
import type { YMap, YNode } from './yaml-tree.ts';

const PIPELINE_KEYS = new Set(['box', 'services', 'steps', 'after-steps', 'base-path', 'source-dir', 'docker']);
/** Deploy-target keys that are almost certainly a misspelt pipeline key. */
const LIKELY_TYPOS: Record<string, string> = {
  step: 'steps', Steps: 'steps', after_steps: 'after-steps', afterSteps: 'after-steps', 'after-step': 'after-steps',
  aftersteps: 'after-steps', service: 'services', base_path: 'base-path', source_dir: 'source-dir',
};

/**
 * One top-level key as a pipeline (docs/wercker-compat.md §2.3). Returns undefined when the
 * value is no pipeline at all (a list or a scalar), which wercker silently ignored; the bag says
 * why. A mapping wercker could not decode is kept, with the problem it fails on when run.
 */
export function normalizePipeline(name: string, node: YNode, keySpan: { line: number; col: number }, bag: DiagnosticBag): PipelineSpec | undefined {
  const path: PathPart[] = [name];
  const at = { line: keySpan.line, col: keySpan.col };
  const base: PipelineSpec = { name, empty: false, steps: [], afterSteps: [], deployTargets: {}, docker: false, at };
  if (node.kind === 'scalar' && node.value === null) return { ...base, empty: true };
  if (node.kind !== 'map') {
    bag.warn('not-a-pipeline', node.span, path,
      `"${name}" is not a wercker key and its value is a ${node.kind === 'seq' ? 'list' : 'scalar'}, not a pipeline; wercker ignored it and so does werker`,
      hintFor(name));
    return undefined;
  }
  return fillPipeline(base, node, path, bag);
}

function fillPipeline(spec: PipelineSpec, node: YMap, path: PathPart[], bag: DiagnosticBag): PipelineSpec {
  for (const { key, keySpan, value } of node.entries) {
    const p = [...path, key];
    switch (key) {
      case 'box': {
        const box = normalizeImage(value, p, bag, 'box');
        if (box) spec.box = box;
        break;
      }
      case 'services': {
        const services = normalizeServices(value, p, bag);
        if (services) spec.services = services;
        break;
      }
      case 'steps':
      case 'after-steps': {
        const steps = normalizeSteps(value, p, bag) ?? notAStepList(spec, key, value, p);
        if (key === 'steps') spec.steps = steps;
        else spec.afterSteps = steps;
        break;
      }
      case 'base-path':
      case 'source-dir': {
        const text = scalarText(value);
        if (text === undefined) bag.warn('ignored-value', value.span, p, `"${key}" must be text; wercker ignored this value and so does werker`);
        else if (key === 'base-path') spec.basePath = text.replace(/\/+$/, '');
        else {
          spec.sourceDir = text;
          warnPipelineSourceDir(spec.name, text, keySpan, p, bag);
        }
        break;
      }
      case 'docker':
        if (value.kind === 'scalar' && typeof value.value === 'boolean') spec.docker = value.value;
        else bag.warn('ignored-value', value.span, p, '"docker" must be true or false; wercker ignored this value and so does werker');
        break;
      default:
        if (LIKELY_TYPOS[key] && isStepList(value)) {
          bag.warn('deploy-target-typo', keySpan, p,
            `"${key}" is read as a deploy target (used only with --deploy-target ${key}); did you mean "${LIKELY_TYPOS[key]}"?`);
        }
        spec.deployTargets[key] = normalizeSteps(value, p, bag) ?? notADeployTarget(spec, key, keySpan, p);
    }
  }
  return spec;
}

/**
 * `source-dir` inside a pipeline: wercker knew it only at the top level, read it here as a
 * deploy target and, its value being no step list, dropped the pipeline ("No pipeline named …").
 * werker keeps it as an extension, the pipeline's own source dir, since that is what the
 * writer meant, and says that wercker would not run this file (docs/wercker-compat.md §2.3).
 */
function warnPipelineSourceDir(name: string, dir: string, keySpan: Span, path: PathPart[], bag: DiagnosticBag): void {
  bag.warn('pipeline-source-dir', keySpan, path,
    `"source-dir" inside a pipeline is a werker extension: pipeline ${name}'s steps start in ${dir} under the source; wercker read it as a deploy target and dropped this pipeline ("No pipeline named ${name}")`,
    'to keep the file runnable by wercker, move source-dir to the top level (it then applies to every pipeline)');
}

/**
 * `steps:` (or `after-steps:`) that is not a list, e.g. a mapping: a type error for wercker,
 * which then dropped the whole pipeline ("No pipeline named …"). werker keeps the pipeline with
 * the problem, a warning in check-config and an error naming this position when it is run
 * (docs/wercker-compat.md §2.1, §2.5).
 */
function notAStepList(spec: PipelineSpec, key: string, value: YNode, path: PathPart[]): StepSpec[] {
  const what = value.kind === 'map' ? 'a mapping' : 'a single value';
  const hint = value.kind === 'map'
    ? `make each step a list item: "- ${value.entries[0]?.key ?? 'step-name'}:" with its properties indented under it`
    : 'write the steps as a list: "- step-name"';
  addProblem(spec, 'steps-not-a-list', value.span, path,
    `pipeline ${spec.name} cannot run: its "${key}" is ${what}, not a list of steps (wercker dropped this pipeline: "No pipeline named ${spec.name}")`, hint);
  return [];
}

/** A key that is neither a pipeline key nor a step list: wercker dropped the whole pipeline. */
function notADeployTarget(spec: PipelineSpec, key: string, keySpan: Span, path: PathPart[]): StepSpec[] {
  const hint = LIKELY_TYPOS[key] ? `did you mean "${LIKELY_TYPOS[key]}"?` : `a deploy target is a list of steps; the pipeline keys are ${[...PIPELINE_KEYS].join(', ')}`;
  addProblem(spec, 'pipeline-dropped', keySpan, path,
    `pipeline ${spec.name} cannot run: "${key}" is not a pipeline key, so it would be a deploy target, but its value is not a list of steps (wercker dropped this pipeline: "No pipeline named ${spec.name}")`, hint);
  return [];
}

function addProblem(spec: PipelineSpec, code: string, at: Span, path: PathPart[], message: string, hint?: string): void {
  const problem: DeferredProblem = { code, message, path: pathString(path), at: { line: at.line, col: at.col } };
  if (hint) problem.hint = hint;
  (spec.problems ??= []).push(problem);
}

const isStepList = (v: YNode): boolean => v.kind === 'seq' || (v.kind === 'scalar' && v.value === null);

function hintFor(name: string): string | undefined {
  if (name === 'ports') return 'box ports go under the box (box: {id: …, ports: […]}) and are published with --publish or --expose-ports';
  if (name === 'docker') return '"docker: true" belongs inside a pipeline';
  return undefined;
}
