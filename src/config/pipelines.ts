import type { DiagnosticBag, PathPart } from './diagnostics.ts';
import { normalizeImage, normalizeServices } from './images.ts';
import { scalarText } from './scalars.ts';
import type { PipelineSpec } from './schema.ts';
import { normalizeSteps } from './steps.ts';
import type { YMap, YNode } from './yaml-tree.ts';

const PIPELINE_KEYS = new Set(['box', 'services', 'steps', 'after-steps', 'base-path', 'source-dir', 'docker']);
/** Deploy-target keys that are almost certainly a misspelt pipeline key. */
const LIKELY_TYPOS: Record<string, string> = {
  step: 'steps', Steps: 'steps', after_steps: 'after-steps', afterSteps: 'after-steps', 'after-step': 'after-steps',
  aftersteps: 'after-steps', service: 'services', base_path: 'base-path', source_dir: 'source-dir',
};

/**
 * One top-level key as a pipeline (spec §2.3). Returns undefined when wercker would have
 * silently dropped it; the bag says why.
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
  const bad = node.entries.find((e) => !PIPELINE_KEYS.has(e.key) && !isStepList(e.value));
  if (bad) {
    bag.warn('pipeline-dropped', bad.keySpan, [...path, bad.key],
      `"${bad.key}" is not a pipeline key, so it would be a deploy target, but its value is not a list of steps; ` +
        `wercker dropped the whole "${name}" pipeline and so does werker`,
      LIKELY_TYPOS[bad.key] ? `did you mean "${LIKELY_TYPOS[bad.key]}"?` : undefined);
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
      case 'steps': spec.steps = normalizeSteps(value, p, bag); break;
      case 'after-steps': spec.afterSteps = normalizeSteps(value, p, bag); break;
      case 'base-path':
      case 'source-dir': {
        const text = scalarText(value);
        if (text === undefined) bag.warn('ignored-value', value.span, p, `"${key}" must be text; wercker ignored this value and so does werker`);
        else if (key === 'base-path') spec.basePath = text.replace(/\/+$/, '');
        else spec.sourceDir = text;
        break;
      }
      case 'docker':
        if (value.kind === 'scalar' && typeof value.value === 'boolean') spec.docker = value.value;
        else bag.warn('ignored-value', value.span, p, '"docker" must be true or false; wercker ignored this value and so does werker');
        break;
      default:
        if (LIKELY_TYPOS[key]) {
          bag.warn('deploy-target-typo', keySpan, p,
            `"${key}" is read as a deploy target (used only with --deploy-target ${key}); did you mean "${LIKELY_TYPOS[key]}"?`);
        }
        spec.deployTargets[key] = normalizeSteps(value, p, bag);
    }
  }
  return spec;
}

const isStepList = (v: YNode): boolean => v.kind === 'seq' || (v.kind === 'scalar' && v.value === null);

function hintFor(name: string): string | undefined {
  if (name === 'ports') return 'box ports go under the box (box: {id: …, ports: […]}) and are published with --publish or --expose-ports';
  if (name === 'docker') return '"docker: true" belongs inside a pipeline';
  return undefined;
}
