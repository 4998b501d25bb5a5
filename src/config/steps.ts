import type { DiagnosticBag, PathPart, Span } from './diagnostics.ts';
import type { StepSpec } from './schema.ts';
import { propertyText, scalarText } from './scalars.ts';
import type { YEntry, YNode } from './yaml-tree.ts';

/** Keys wercker took out of a step's data and did not export (docs/wercker-compat.md §2.5). */
const RESERVED = new Set(['name', 'cwd', 'checkpoint']);

/** `[owner/]name[@version]`, optionally followed by a space and a double-quoted URL. */
const STEP_ID = /^(?:([A-Za-z0-9_.-]+)\/)?([A-Za-z0-9_.-]+)(?:@([^\s"@]+))?(?:\s+"([^"]+)")?$/;

export interface StepRef {
  owner: string;
  name: string;
  version: string;
  url?: string;
  kind: StepSpec['kind'];
  /** Why it cannot run, for a step key wercker read although it is no step id. */
  problem?: string;
}

/** Parses a step key; undefined when it is not a step id at all. */
export function parseStepId(id: string): StepRef | undefined {
  const m = STEP_ID.exec(id.trim());
  if (!m) return undefined;
  const [, owner, name, version, url] = m;
  const kind: StepRef['kind'] = owner === 'internal' ? 'internal' : !owner && name === 'script' ? 'script' : 'registry';
  const ref: StepRef = { owner: owner ?? 'wercker', name: name!, version: version ?? '*', kind };
  if (url) ref.url = url;
  return ref;
}

/**
 * Normalises a step list (null is an empty list); bad items are errors and are skipped.
 * Returns undefined when the value is not a list at all: wercker then dropped the whole
 * pipeline (a type error in it), which the caller records against the pipeline.
 */
export function normalizeSteps(node: YNode, path: PathPart[], bag: DiagnosticBag): StepSpec[] | undefined {
  if (node.kind === 'scalar' && node.value === null) return [];
  if (node.kind !== 'seq') return undefined;
  const out: StepSpec[] = [];
  node.items.forEach((item, i) => {
    const step = normalizeStep(item, [...path, i], bag);
    if (step) out.push(step);
  });
  return out;
}

function normalizeStep(item: YNode, path: PathPart[], bag: DiagnosticBag): StepSpec | undefined {
  if (item.kind === 'scalar') {
    if (item.value === null || item.text.trim() === '') {
      bag.error('empty-step', item.span, path, 'Step is empty', 'remove the empty "-" item or name a step');
      return undefined;
    }
    return buildStep(item.text, item, [], path, bag);
  }
  if (item.kind === 'seq') {
    bag.error('unknown-step-form', item.span, path, 'a step cannot be a list',
      'write "- step-name" or "- step-name:" followed by its properties, indented');
    return undefined;
  }
  // Every pair as written, repeated keys included (Go's yaml.MapSlice): the first names the step.
  const [first, ...rest] = item.written;
  if (!first) {
    bag.error('empty-step', item.span, path, 'Step is empty', 'write "- step-name" or remove the item');
    return undefined;
  }
  if (rest.length > 0) {
    // wercker's "odd indentation" rule: `- script:` with `name:`/`code:` beside it. The first key
    // is the step and its own value is dropped.
    if (!(first.value.kind === 'scalar' && first.value.value === null)) {
      bag.warn('sibling-step-value-dropped', first.value.span, [...path, first.key],
        `the properties of "${first.key}" sit beside it, so wercker ignored its own value; werker does the same`,
        `move ${rest.map((e) => `"${e.key}"`).join(', ')} under "${first.key}" or the value beside them`);
    }
    return buildStep(first.key, item, rest, [...path], bag, first);
  }
  const body = first.value;
  if (body.kind === 'map') return buildStep(first.key, item, body.entries, [...path, first.key], bag, first);
  if (body.kind === 'seq') {
    // wercker refused the whole file with its "Step X is empty" (docs/wercker-compat.md §2.5).
    bag.error('unknown-step-form', body.span, [...path, first.key], `Step ${first.key} is empty: its properties are a list, not a mapping; wercker refused the whole file with this error too`,
      first.key === 'script' ? 'write the commands as "code: |" followed by the lines, indented' : `write its properties as "name: value" under "${first.key}:"`);
    return undefined;
  }
  bag.error('empty-step', body.value === null ? first.keySpan : body.span, [...path, first.key], `Step ${first.key} is empty`,
    body.value === null
      ? `write "- ${first.key}" without the colon, or indent its properties under it`
      : `put the value under a property, e.g. "${first.key}: {code: …}"`);
  return undefined;
}

function buildStep(
  id: string, at: YNode, entries: YEntry[], propsPath: PathPart[], bag: DiagnosticBag, keyEntry?: YEntry,
): StepSpec {
  const span = keyEntry?.keySpan ?? at.span;
  const ref = parseStepId(id) ?? unparsableStepRef(id, span, propsPath, bag);
  const step: StepSpec = {
    id: id.trim(), kind: ref.kind, owner: ref.owner, name: ref.name, version: ref.version,
    properties: {}, at: { line: span.line, col: span.col },
  };
  if (ref.url) step.url = ref.url;
  if (ref.problem) step.problem = ref.problem;
  for (const e of entries) {
    const p = [...propsPath, e.key];
    if (RESERVED.has(e.key)) {
      const text = scalarText(e.value);
      if (text === undefined) {
        bag.warn('lossy-value', e.value.span, p, `"${e.key}" must be text; this one is ignored`);
        continue;
      }
      if (e.key === 'name') step.displayName = text;
      else if (e.key === 'cwd') step.cwd = text;
      else step.checkpoint = text;
      continue;
    }
    step.properties[e.key] = propertyText(e.value, bag, p);
    (step.propertyAt ??= {})[e.key] = { line: e.keySpan.line, col: e.keySpan.col };
  }
  return step;
}

/**
 * A step key that is no step id, such as `pip install -r x`. wercker took any text: it read
 * `[owner/]name[@version]` from the whole of it (the part before a `/` as the owner, after an
 * `@` as the version) and failed only when the pipeline ran and its registry had no such step
 * (docs/wercker-compat.md §2.5). werker reads it the same way, warns now, and the step carries
 * the error for the run.
 */
function unparsableStepRef(id: string, span: Span, path: PathPart[], bag: DiagnosticBag): StepRef & { problem: string } {
  const text = id.trim();
  const slash = text.indexOf('/');
  const owner = slash >= 0 ? text.slice(0, slash) : 'wercker';
  const rest = slash >= 0 ? text.slice(slash + 1) : text;
  const at = rest.indexOf('@');
  const why = /\s/.test(text) ? 'a step id has no spaces' : 'a step id is [owner/]name[@version] of letters, digits, ".", "_" and "-"';
  const hint = `to run it as a command, write "- script: {code: ${text}}"`;
  bag.warn('invalid-step-id', span, path,
    `"${text}" is not a step id (${why}); wercker accepted it and failed only when the pipeline ran, and so does werker`, hint);
  return {
    kind: 'registry', owner, name: at >= 0 ? rest.slice(0, at) : rest, version: at >= 0 ? rest.slice(at + 1) : '*',
    problem: `The step "${text}" was not found: "${text}" is not a step id (${why}); ${hint}`,
  };
}
