import type { Document, Node as YamlNode, Tags } from 'yaml';
import { DiagnosticBag, type PathPart, type Span } from './diagnostics.ts';
import { fastParseYaml, type RawNode } from './yaml-fast.ts';
import { yamlPackage } from './yaml-package.ts';

/**
 * The document as werker reads it: plain maps, lists and scalars, each with its position,
 * and every scalar with both its YAML 1.1 value and its literal source text. Anchors and
 * `<<` merge keys are resolved here, so nothing downstream needs to know about them.
 */
export type YNode = YMap | YSeq | YScalar;
export interface YMap {
  kind: 'map';
  span: Span;
  /** One entry per key (Go map semantics: a repeated key's later value, at its first place). */
  entries: YEntry[];
  /**
   * Every pair in the order written, repeated keys included: what Go's yaml.MapSlice gave
   * wercker for a step item, where the first key names the step (docs/wercker-compat.md §2.5).
   */
  written: YEntry[];
}
export interface YSeq { kind: 'seq'; span: Span; items: YNode[] }
export interface YScalar {
  kind: 'scalar';
  span: Span;
  /** The value under YAML 1.1 rules (wercker used Go's yaml.v2): `yes` is true, `0755` is 493. */
  value: string | number | boolean | null;
  /** The text as written (for quoted and block scalars: the decoded string). */
  text: string;
  quoted: boolean;
}
export interface YEntry { key: string; keySpan: Span; value: YNode }

/**
 * YAML 1.1 as yaml.v2 read it: the yaml-1.1 schema minus sexagesimal numbers (`8000:80` must
 * stay a string, as it did in Go) and minus timestamps (kept as the text written).
 */
export const yamlV2Tags = (tags: Tags): Tags =>
  tags.filter((t) => {
    const tag = t as { tag?: string; format?: string };
    return tag.format !== 'TIME' && tag.tag !== 'tag:yaml.org,2002:timestamp';
  });

export interface ParsedYaml { root: YNode | null }

/** Bounds on reading one document, for files from people the reader does not trust (the server). */
export interface TreeLimits {
  /** Values the document may expand to (aliases count each time they are used); default 500,000. */
  maxNodes?: number;
  /** `Date.now()` after which building the tree stops with an error. */
  deadline?: number;
}

/** Parses text into a YNode tree; syntax errors go into the bag and give a null root. */
export function parseYaml(text: string, bag: DiagnosticBag, limits: TreeLimits = {}): ParsedYaml {
  // The block subset most files are written in, read without the yaml package; a time budget
  // (the server) always takes the yaml package's road, whose reading it bounds.
  if (limits.deadline === undefined) {
    const raw = fastParseYaml(text, { maxNodes: limits.maxNodes ?? MAX_NODES });
    if (raw) return { root: fromRaw(raw, bag, []) };
  }
  return parseWithYamlPackage(text, bag, limits);
}

/** The fast reader's tree with wercker's repeated-key rule applied, as TreeBuilder does it (same order of warnings). */
function fromRaw(node: RawNode, bag: DiagnosticBag, path: PathPart[]): YNode {
  if (node.kind === 'scalar') return node;
  if (node.kind === 'seq') return { kind: 'seq', span: node.span, items: node.items.map((it, i) => fromRaw(it, bag, [...path, i])) };
  const written = node.written.map((e) => ({ key: e.key, keySpan: e.keySpan, value: fromRaw(e.value, bag, [...path, e.key]) }));
  return { kind: 'map', span: node.span, entries: uniqueEntries(written, path, bag), written };
}

/** Parses text with the yaml package (any YAML); syntax errors go into the bag and give a null root. */
export function parseWithYamlPackage(text: string, bag: DiagnosticBag, limits: TreeLimits = {}): ParsedYaml {
  const { LineCounter, parseAllDocuments } = yamlPackage();
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    version: '1.1', schema: 'yaml-1.1', customTags: yamlV2Tags, merge: true,
    uniqueKeys: false, lineCounter, prettyErrors: false,
  });
  const all = Array.isArray(docs) ? docs : [];
  const first = all[0];
  const spanAt = (offset: number, end = offset): Span => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col, offset, end };
  };
  const broken = all.find((d) => d.errors.length > 0);
  if (broken) {
    reportSyntaxError(broken.errors, text, bag, spanAt);
    return { root: null };
  }
  if (!first || first.contents === null) return { root: null };
  if (all.length > 1) {
    const second = all[1]!;
    bag.warn('multiple-documents', spanAt(second.range[0]), [],
      `the file holds ${all.length} YAML documents; only the first is read, as wercker did`);
  }
  const root = new TreeBuilder(first, bag, spanAt, limits).build(first.contents as YamlNode, []);
  return { root };
}

type SyntaxError = { code: string; message: string; pos: [number, number] };

/**
 * Reports the first syntax error at the place libyaml (and so Go's yaml.v2, which wercker used)
 * points to: the yaml package marks the start of the offending node, libyaml the token where
 * it gave up. Checked against every unparsable file of the corpus.
 */
function reportSyntaxError(errors: SyntaxError[], text: string, bag: DiagnosticBag, spanAt: (o: number) => Span): void {
  const [first, second] = errors;
  const err = first!.code === 'BLOCK_AS_IMPLICIT_KEY' && second?.code === 'MULTILINE_IMPLICIT_KEY' ? second : first!;
  const span = spanAt(libyamlOffset(err, text, spanAt));
  const firstLine = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const lineText = text.split('\n')[span.line - 1] ?? '';
  const tabHint = /^\s*\t/.test(lineText) || err.code === 'TAB_AS_INDENT';
  bag.error(`yaml-${err.code.toLowerCase().replace(/_/g, '-')}`, span, [],
    `Error parsing your wercker.yml: ${firstLine}`,
    tabHint ? 'YAML does not allow tabs for indentation: indent with spaces' : undefined);
}

function libyamlOffset(err: SyntaxError, text: string, spanAt: (o: number) => Span): number {
  const [start, end] = err.pos;
  const multiLine = spanAt(end).line > spanAt(start).line;
  if (!multiLine) return start;
  if (err.code === 'MULTILINE_IMPLICIT_KEY') return end;
  if (err.code === 'BAD_INDENT' || err.code === 'MISSING_CHAR') {
    // The next line's first non-blank character, where libyaml found the bad token.
    let o = end;
    while (o < text.length && (text[o] === ' ' || text[o] === '\t')) o++;
    return o;
  }
  return start;
}

/** Nodes one document may expand to: aliases of aliases can otherwise grow exponentially. */
const MAX_NODES = 500_000;

class TreeBuilder {
  private readonly resolving = new Set<YamlNode>();
  private nodes = 0;
  private exploded = false;
  private readonly maxNodes: number;
  private readonly yaml = yamlPackage();
  constructor(
    private readonly doc: Document,
    private readonly bag: DiagnosticBag,
    private readonly spanAt: (offset: number, end?: number) => Span,
    private readonly limits: TreeLimits = {},
  ) {
    this.maxNodes = limits.maxNodes ?? MAX_NODES;
  }

  private span(node: YamlNode): Span {
    const range = node.range ?? [0, 0, 0];
    return this.spanAt(range[0], range[1]);
  }

  build(node: YamlNode, path: PathPart[]): YNode {
    const late = this.limits.deadline !== undefined && this.nodes % 256 === 0 && Date.now() > this.limits.deadline;
    if (++this.nodes > this.maxNodes || late || this.exploded) {
      if (!this.exploded) {
        this.exploded = true;
        if (late) this.bag.error('yaml-too-slow', this.span(node), path, 'reading the document took longer than its time budget; werker stops reading it here', 'make the file smaller, with fewer keys and aliases');
        else this.bag.error('yaml-too-many-nodes', this.span(node), path,
          `the document expands to more than ${this.maxNodes} values (aliases of aliases?); werker stops reading it here`);
      }
      return { kind: 'scalar', span: this.span(node), value: null, text: '', quoted: false };
    }
    if (this.yaml.isAlias(node)) {
      const target = node.resolve(this.doc) as YamlNode | undefined;
      if (!target || this.resolving.has(target)) {
        this.bag.error('yaml-alias', this.span(node), path, `alias *${node.source} does not point at a usable anchor`);
        return { kind: 'scalar', span: this.span(node), value: null, text: '', quoted: false };
      }
      this.resolving.add(target);
      try {
        // Keep the alias's own position: that is where the reader looks.
        return { ...this.build(target, path), span: this.span(node) };
      } finally {
        this.resolving.delete(target);
      }
    }
    if (this.yaml.isScalar(node)) {
      const quoted = node.type !== 'PLAIN';
      const value = node.value as YScalar['value'] | undefined;
      const normalised = value === undefined || typeof value === 'object' && value !== null ? String(node.source ?? '') : value;
      const text = quoted || typeof node.value === 'string' ? String(node.value ?? '') : String(node.source ?? node.value ?? '');
      return { kind: 'scalar', span: this.span(node), value: normalised as YScalar['value'], text, quoted };
    }
    if (this.yaml.isSeq(node)) {
      return { kind: 'seq', span: this.span(node), items: node.items.map((it, i) => this.build(it as YamlNode, [...path, i])) };
    }
    if (this.yaml.isMap(node)) return this.buildMap(node as unknown as { items: unknown[] } & YamlNode, path);
    return { kind: 'scalar', span: this.span(node), value: null, text: '', quoted: false };
  }

  private buildMap(node: { items: unknown[] } & YamlNode, path: PathPart[]): YMap {
    const written: YEntry[] = [];
    const merged: YEntry[] = [];
    for (const pair of node.items) {
      if (!this.yaml.isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keySpan = keyNode ? this.span(keyNode) : this.span(node);
      const key = keyNode && this.yaml.isScalar(keyNode) ? String(keyNode.source ?? keyNode.value ?? '') : keyNode ? String(keyNode) : '';
      if (key === '<<' && keyNode && this.yaml.isScalar(keyNode) && keyNode.type === 'PLAIN') {
        merged.push(...this.mergeSources(pair.value as YamlNode, [...path, '<<']));
        continue;
      }
      const valueNode = pair.value as YamlNode | null;
      const value: YNode = valueNode
        ? this.build(valueNode, [...path, key])
        : { kind: 'scalar', span: { ...keySpan, offset: keySpan.end }, value: null, text: '', quoted: false };
      written.push({ key, keySpan, value });
    }
    const explicit = uniqueEntries(written, path, this.bag);
    // Merged keys come first and never override keys written in the map itself.
    const own = new Set(explicit.map((e) => e.key));
    // The first merged entry of each key wins (a Set, not a search per entry: a long merge stays linear).
    const mergedKeys = new Set<string>();
    const inherited = merged.filter((e) => !own.has(e.key) && !mergedKeys.has(e.key) && mergedKeys.add(e.key));
    return { kind: 'map', span: this.span(node), entries: [...inherited, ...explicit], written: [...inherited, ...written] };
  }

  private mergeSources(value: YamlNode | null, path: PathPart[]): YEntry[] {
    if (!value) return [];
    const built = this.build(value, path);
    const maps = built.kind === 'seq' ? built.items : [built];
    const out: YEntry[] = [];
    for (const m of maps) {
      if (m.kind === 'map') out.push(...m.entries);
      else this.bag.warn('merge-key', m.span, path, 'a << merge key needs a mapping (or a list of mappings); this one was ignored');
    }
    return out;
  }
}

/** One entry per key: the later value wins, as in wercker (Go maps and structs), kept at the key's first place. */
function uniqueEntries(written: YEntry[], path: PathPart[], bag: DiagnosticBag): YEntry[] {
  const first = new Map<string, { index: number; line: number }>();
  const out: YEntry[] = [];
  for (const e of written) {
    const seen = first.get(e.key);
    if (!seen) {
      first.set(e.key, { index: out.length, line: e.keySpan.line });
      out.push(e);
      continue;
    }
    bag.warn('duplicate-key', e.keySpan, [...path, e.key], `duplicate key "${e.key}" (first at line ${seen.line})`,
      'remove one of them: wercker read the later value, except in a step item, where it kept both in order and the first key names the step');
    out[seen.index] = e;
  }
  return out;
}

/** Plain JS value of a subtree (for schema validation). */
export function toPlain(node: YNode): unknown {
  switch (node.kind) {
    case 'scalar': return node.value;
    case 'seq': return node.items.map(toPlain);
    case 'map': return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.value)]));
  }
}

/** The node at a key path, or the deepest ancestor that exists (for placing diagnostics). */
export function nodeAt(root: YNode, path: readonly PathPart[]): { node: YNode; keySpan?: Span } {
  let node = root;
  let keySpan: Span | undefined;
  for (const part of path) {
    if (node.kind === 'map') {
      const entry = node.entries.find((e) => e.key === String(part));
      if (!entry) break;
      node = entry.value;
      keySpan = entry.keySpan;
    } else if (node.kind === 'seq' && typeof part === 'number' && node.items[part]) {
      node = node.items[part]!;
      keySpan = undefined;
    } else break;
  }
  return keySpan ? { node, keySpan } : { node };
}

export const entry = (map: YMap, key: string): YEntry | undefined => map.entries.find((e) => e.key === key);
