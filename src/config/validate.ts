import { DiagnosticBag, type Diagnostic, type PathPart } from './diagnostics.ts';
import { imageProblems, normalizeImage, normalizeServices, unusedImageWarnings } from './images.ts';
import { normalizePipeline } from './pipelines.ts';
import { scalarText } from './scalars.ts';
import { TOP_LEVEL_KEYS } from './field-checks.ts';
import type { DeferredProblem, PipelineSpec, WerckerConfig } from './schema.ts';
import { normalizeWorkflows } from './workflows.ts';
import { parseYaml, type YEntry, type YNode } from './yaml-tree.ts';

export interface ValidateResult {
  /** Present unless the file could not be read as a wercker.yml at all. */
  config?: WerckerConfig;
  diagnostics: Diagnostic[];
}

const TIMEOUT_KEYS: Record<string, 'commandTimeout' | 'noResponseTimeout'> = {
  'command-timeout': 'commandTimeout',
  'no-response-timeout': 'noResponseTimeout',
};

/** Bounds for a wercker.yml from someone the reader does not trust (the server; see src/server/limits.ts). */
export interface ConfigLimits {
  /** Bytes of text. */
  maxBytes: number;
  /** Values the document may expand to, aliases counted each time they are used. */
  maxNodes: number;
  /** Milliseconds reading the document may take. */
  timeBudgetMs: number;
}

/** Text → normalised config plus diagnostics. Never throws on bad input. */
export function validateConfig(file: string, text: string, initial: Diagnostic[] = [], limits?: ConfigLimits): ValidateResult {
  const bag = new DiagnosticBag(file);
  bag.items.push(...initial);
  if (limits && Buffer.byteLength(text) > limits.maxBytes) {
    bag.error('too-large', undefined, [], `the file is ${Buffer.byteLength(text)} bytes; werker reads at most ${limits.maxBytes} here`, 'make it smaller (a wercker.yml is rarely over a few KB)');
    return { diagnostics: bag.sorted() };
  }
  const { root } = parseYaml(text, bag, limits ? { maxNodes: limits.maxNodes, deadline: Date.now() + limits.timeBudgetMs } : {});
  if (bag.hasErrors) return { diagnostics: bag.sorted() };
  if (!root || (root.kind === 'scalar' && root.value === null)) {
    bag.error('empty', undefined, [], 'Your wercker.yml is empty.', 'add a box and a pipeline, e.g. "box: node" and "build: {steps: [npm-test]}"');
    return { diagnostics: bag.sorted() };
  }
  if (root.kind !== 'map') {
    const what = root.kind === 'seq' ? 'a list' : `the ${typeof root.value === 'string' ? 'string' : 'value'} "${root.kind === 'scalar' ? root.text.slice(0, 40) : ''}"`;
    // wercker ignored the type error and read a file without pipelines (docs/wercker-compat.md §2.1).
    bag.warn('not-a-mapping', root.span, [],
      `the document is ${what}, not a mapping of keys such as box: and build:; wercker read it as a file without pipelines ` +
        '(every run failed with "No pipeline named …"), and so does werker', 'is this the right file? A wercker.yml starts with keys such as "box: node" and "build:"');
    return { config: { file, services: [], workflows: [], pipelines: {} }, diagnostics: bag.sorted() };
  }
  const config: WerckerConfig = { file, services: [], workflows: [], pipelines: {} };
  let workflows: YEntry | undefined;
  for (const entry of root.entries) {
    if (entry.key === 'workflows') workflows = entry;
    else if ((TOP_LEVEL_KEYS as readonly string[]).includes(entry.key)) readTopLevel(config, entry, bag);
    else {
      const pipeline = normalizePipeline(entry.key, entry.value, entry.keySpan, bag);
      if (pipeline) config.pipelines[entry.key] = pipeline;
    }
  }
  if (workflows) config.workflows = normalizeWorkflows(workflows.value, config.pipelines, bag);
  unusedImageWarnings(config, bag);
  return { config, diagnostics: bag.sorted() };
}

function readTopLevel(config: WerckerConfig, { key, value }: YEntry, bag: DiagnosticBag): void {
  const path: PathPart[] = [key];
  if (key === 'box') {
    const box = normalizeImage(value, path, bag, 'box');
    if (box) config.box = box;
  } else if (key === 'services') {
    config.services = normalizeServices(value, path, bag) ?? [];
  } else if (key in TIMEOUT_KEYS) {
    readTimeout(config, TIMEOUT_KEYS[key]!, value, path, bag);
  } else {
    const text = scalarText(value);
    if (text === undefined) bag.warn('ignored-value', value.span, path, `"${key}" must be text; wercker ignored this value and so does werker`);
    else if (key === 'source-dir') config.sourceDir = text;
    else config.ignoreFile = text;
  }
}

function readTimeout(config: WerckerConfig, field: 'commandTimeout' | 'noResponseTimeout', value: YNode, path: PathPart[], bag: DiagnosticBag): void {
  const v = value.kind === 'scalar' ? value.value : undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    bag.warn('ignored-value', value.span, path, `${path[0]} takes whole minutes; wercker ignored this value and so does werker (the flag or default applies)`);
    return;
  }
  if (v <= 0) return;
  if (v > 60) bag.warn('capped-value', value.span, path, `${path[0]} is capped at 60 minutes, as in wercker`);
  config[field] = Math.min(v, 60);
}

/**
 * Problems that only matter when a pipeline runs: they are errors for the pipeline being run
 * (or named with --pipeline) and warnings for the others, since wercker only failed on them then
 * (docs/wercker-compat.md §2.1, §2.4, §2.5).
 */
export function checkPipeline(config: WerckerConfig, pipeline: PipelineSpec, severity: Diagnostic['severity']): Diagnostic[] {
  const bag = new DiagnosticBag(config.file);
  const at = { ...pipeline.at, offset: 0, end: 0 };
  const path = [pipeline.name];
  if (pipeline.empty) {
    bag.add(severity, 'empty-pipeline', at, path, `Pipeline ${pipeline.name} is empty`, 'give it steps, e.g. "steps: [script: {code: make}]"');
    return bag.items;
  }
  if (pipeline.problems?.length) return pipeline.problems.map((p) => deferred(config.file, p, severity));
  if (!pipeline.box && !config.box) {
    bag.add(severity, 'no-box', at, path, `No box definition found for pipeline ${pipeline.name}`, 'add "box: IMAGE" at the top level or in the pipeline');
  }
  for (const p of imageProblems(config, pipeline)) bag.items.push(deferred(config.file, p, severity));
  if (pipeline.steps.length === 0 && pipeline.afterSteps.length === 0 && Object.keys(pipeline.deployTargets).length === 0) {
    // wercker ran such a pipeline: the box started, wercker-init ran, and it passed.
    bag.warn('no-steps', at, path, `pipeline ${pipeline.name} has no steps; it only starts its box, as in wercker`, 'add steps, or remove the pipeline');
  }
  return bag.items;
}

function deferred(file: string, p: DeferredProblem, severity: Diagnostic['severity']): Diagnostic {
  const d: Diagnostic = { severity, code: p.code, file, line: p.at.line, col: p.at.col, path: p.path, message: p.message };
  if (p.hint) d.hint = p.hint;
  return d;
}

/** Looks up a pipeline by name with wercker's message when it is missing. */
export function pipelineOrError(config: WerckerConfig, name: string): PipelineSpec | Diagnostic {
  const pipeline = config.pipelines[name];
  if (pipeline) return pipeline;
  const known = Object.keys(config.pipelines);
  return {
    severity: 'error', code: 'no-such-pipeline', file: config.file, line: 0, col: 0, path: name,
    message: `No pipeline named ${name}`,
    hint: known.length ? `pipelines in this file: ${known.join(', ')}` : 'this file defines no pipeline',
  };
}
