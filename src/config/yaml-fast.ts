import type { Span } from './diagnostics.ts';
import { resolvePlainScalar } from './yaml11-scalars.ts';

/**
 * A fast reader for the block-style subset of YAML that wercker.yml files are written in:
 * block mappings with plain keys, block sequences, single-line plain and quoted scalars,
 * literal and folded block scalars, and comments. It gives the same positions and values as
 * the `yaml` package (same YAML 1.1 scalar rules, src/config/yaml11-scalars.ts), at a fraction
 * of the cost: the yaml package's lexer, CST and composer took most of a check-config run, and
 * compiling the package ~10 ms of every start (docs/performance.md, P8 and "Session 8"). A file
 * the reader takes loads no yaml package at all.
 *
 * Anything outside the subset — flow collections, anchors, aliases, tags, merge keys, several
 * documents, multi-line plain or quoted scalars, tabs, odd indentation, any syntax error — makes
 * it give up (`undefined`), and the caller reads the text with the yaml package instead, so
 * errors and their positions always come from there. Checked tree for tree against the yaml
 * package over the whole corpus and the fuzz cases (src/config/yaml-fast.test.ts).
 */

/** A map entry as written; the caller applies repeated-key rules to these. */
export interface RawEntry { key: string; keySpan: Span; value: RawNode }
export type RawNode =
  | { kind: 'map'; span: Span; written: RawEntry[] }
  | { kind: 'seq'; span: Span; items: RawNode[] }
  | { kind: 'scalar'; span: Span; value: string | number | boolean | null; text: string; quoted: boolean };

type RawScalar = Extract<RawNode, { kind: 'scalar' }>;

/** The reason to give up; caught at the top, never seen outside this file. */
class OutsideSubset extends Error {}
const giveUp = (why: string): never => {
  throw new OutsideSubset(why);
};

const SPACE = 32;
const NEWLINE = 10;
const HASH = 35;
const COLON = 58;
const DASH = 45;

/** Characters that cannot start a plain scalar or key here, or that start something outside the subset. */
const INDICATORS = new Set('?:,[]{}#&*!|>\'"%@`'.split('').map((c) => c.charCodeAt(0)));

const DQ_ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', N: '\u0085', _: '\u00a0',
  L: '\u2028', P: '\u2029', ' ': ' ', '"': '"', '/': '/', '\\': '\\',
};

/** Any character the subset does not handle anywhere: tabs, CR, other C0/C1 controls, BOM, Unicode line breaks. */
// eslint-disable-next-line no-control-regex
const UNHANDLED_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\ufeff\u2028\u2029]/;

export interface FastParseOptions {
  /** Give up when the document has more values than this (the caller reports it). */
  maxNodes: number;
}

/** The document's root node, or undefined when the text is outside the subset. */
export function fastParseYaml(text: string, options: FastParseOptions): RawNode | undefined {
  const read = readBlockSubset(text, options);
  return typeof read === 'string' ? undefined : read;
}

/** The root node, or why the text is outside the subset (for the tests and the bench). */
export function readBlockSubset(text: string, options: FastParseOptions): RawNode | string {
  if (UNHANDLED_CHARS.test(text)) return 'tab, CR or control character';
  try {
    return new BlockReader(text, resolvePlainScalar, options.maxNodes).document();
  } catch (err) {
    if (err instanceof OutsideSubset) return err.message;
    throw err;
  }
}

class BlockReader {
  /** Offset where each line starts; one more entry than lines, at text.length + 1. */
  private readonly starts: number[] = [0];
  private nodes = 0;
  /** The last line read as part of a value (or claimed as a collection's trailing comment). */
  private lastLine = -1;
  constructor(
    private readonly text: string,
    private readonly resolve: (text: string) => string | number | boolean | null,
    private readonly maxNodes: number,
  ) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
    this.starts.push(text.length + 1);
  }

  private get lineCount(): number {
    return this.starts.length - 1;
  }
  private lineEnd(line: number): number {
    return this.starts[line + 1]! - 1;
  }
  /** Offset just past the line's newline (or the end of the text). */
  private afterLine(line: number): number {
    return Math.min(this.starts[line + 1]!, this.text.length);
  }
  private span(line: number, offset: number, end: number): Span {
    return { line: line + 1, col: offset - this.starts[line]! + 1, offset, end };
  }
  private indentOf(line: number): number {
    const start = this.starts[line]!;
    let i = start;
    while (this.text.charCodeAt(i) === SPACE) i++;
    return i - start;
  }
  /** The first line at or after `line` with content (not blank, not only a comment); lineCount when none. */
  private nextContent(line: number): number {
    for (let l = line; l < this.lineCount; l++) {
      const at = this.starts[l]! + this.indentOf(l);
      if (at < this.lineEnd(l) && this.text.charCodeAt(at) !== HASH) return l;
    }
    return this.lineCount;
  }
  private count(): void {
    if (++this.nodes >= this.maxNodes) giveUp('too many values');
  }

  document(): RawNode {
    const first = this.nextContent(0);
    if (first >= this.lineCount) giveUp('no content');
    const lineText = this.text.slice(this.starts[first], this.lineEnd(first));
    // Directives and document markers: several documents, or one the subset does not read.
    if (/^(---|\.\.\.)( |$)/.test(lineText) || lineText.startsWith('%')) giveUp('document marker or directive');
    const indent = this.indentOf(first);
    const at = this.starts[first]! + indent;
    if (!this.isKeyAt(first, at)) giveUp('root is not a mapping');
    this.count();
    const { node, next } = this.map(first, at, indent);
    if (next < this.lineCount) giveUp('content after the root');
    return node;
  }

  /** Whether a plain `key:` (followed by a space or the line's end) starts at `at`. */
  private isKeyAt(line: number, at: number): boolean {
    return this.keyColon(line, at) >= 0;
  }

  /** Offset of the colon ending a plain key at `at`, or -1 when the line holds no key there. */
  private keyColon(line: number, at: number): number {
    const end = this.lineEnd(line);
    const first = this.text.charCodeAt(at);
    if (at >= end || INDICATORS.has(first) || first === DASH) return -1;
    if (first === 0x2e && this.text.startsWith('...', at)) return -1;
    for (let i = at; i < end; i++) {
      const c = this.text.charCodeAt(i);
      // Flow indicators in a key are valid in block YAML but unusual: left to the yaml package.
      if (c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d || c === 0x2c) return -1;
      if (c === COLON) {
        const after = i + 1 === end ? SPACE : this.text.charCodeAt(i + 1);
        // `a:b: c` and `key :` are valid YAML but rare: left to the yaml package.
        if (after !== SPACE || this.text.charCodeAt(i - 1) === SPACE) return -1;
        return i;
      }
      if (c === HASH && this.text.charCodeAt(i - 1) === SPACE) return -1;
    }
    return -1;
  }

  /** A block mapping whose first key starts at `at` on `line`, its keys at column `indent`. */
  private map(line: number, at: number, indent: number): { node: RawNode; next: number; end: number } {
    const written: RawEntry[] = [];
    let end = at;
    let keyLine = line;
    let keyAt = at;
    for (;;) {
      const colon = this.keyColon(keyLine, keyAt);
      if (colon < 0) giveUp('not a key');
      const key = this.text.slice(keyAt, colon);
      if (key === '<<' || key.length > 1000) giveUp('merge key or long key');
      const keySpan = this.span(keyLine, keyAt, colon);
      const { node, next, end: valueEnd, flow } = this.value(keyLine, colon + 1, indent, true);
      written.push({ key, keySpan, value: node });
      end = valueEnd;
      const nextIndent = next < this.lineCount ? this.indentOf(next) : -1;
      if (nextIndent < indent) {
        const ends = this.collectionEnds(indent, next, end, flow);
        return { node: { kind: 'map', span: this.span(line, at, ends.end), written }, next, end: ends.outer };
      }
      if (nextIndent > indent) giveUp('more-indented line in a mapping');
      keyLine = next;
      keyAt = this.starts[next]! + indent;
    }
  }

  /** A block sequence whose first `-` is at column `indent` of `line`. */
  private seq(line: number, indent: number): { node: RawNode; next: number; end: number } {
    const items: RawNode[] = [];
    const at = this.starts[line]! + indent;
    let itemLine = line;
    let end = at;
    for (;;) {
      const dash = this.starts[itemLine]! + indent;
      const { node, next, end: itemEnd, flow } = this.value(itemLine, dash + 1, indent, false);
      items.push(node);
      end = itemEnd;
      const nextIndent = next < this.lineCount ? this.indentOf(next) : -1;
      if (nextIndent < indent || (nextIndent === indent && !this.isDashAt(next, indent))) {
        const ends = this.collectionEnds(indent, next, end, flow);
        return { node: { kind: 'seq', span: this.span(line, at, ends.end), items }, next, end: ends.outer };
      }
      if (nextIndent > indent) giveUp('more-indented line in a sequence');
      itemLine = next;
    }
  }

  private isDashAt(line: number, indent: number): boolean {
    const at = this.starts[line]! + indent;
    if (this.text.charCodeAt(at) !== DASH) return false;
    return at + 1 >= this.lineEnd(line) || this.text.charCodeAt(at + 1) === SPACE;
  }

  /**
   * The value after a key's colon or an item's dash at `from` on `line`, in a collection at
   * column `indent`. Returns the node, the next content line and the offset where the node
   * ends as the yaml package counts it (the end its parent collection takes).
   */
  private value(line: number, from: number, indent: number, inMap: boolean): { node: RawNode; next: number; end: number; flow?: boolean } {
    this.count();
    const lineEnd = this.lineEnd(line);
    let at = from;
    while (at < lineEnd && this.text.charCodeAt(at) === SPACE) at++;
    if (at < lineEnd && at === from) giveUp('no space after indicator');
    if (at >= lineEnd || this.text.charCodeAt(at) === HASH) return this.valueBelow(line, at, indent, inMap, at < lineEnd);
    if (!inMap && this.isKeyAt(line, at)) {
      // `- key: value`: a mapping inside the item, its keys at this column.
      const mapIndent = at - this.starts[line]!;
      this.count();
      const read = this.map(line, at, mapIndent);
      if (read.next < this.lineCount && this.indentOf(read.next) > indent) giveUp('odd indentation after an item mapping');
      return read;
    }
    const c = this.text.charCodeAt(at);
    if (c === 0x7c || c === 0x3e) return this.blockScalar(line, at, indent, inMap);
    let scalar = c === 0x22 ? this.doubleQuoted(line, at) : c === 0x27 ? this.singleQuoted(line, at) : this.plain(line, at);
    let last = line;
    if (c !== 0x22 && c !== 0x27) ({ scalar, last } = this.plainContinued(scalar, line, indent));
    this.lastLine = last;
    const next = this.nextContent(last + 1);
    if (next < this.lineCount && this.indentOf(next) > indent) giveUp('multi-line scalar');
    return { node: scalar, next, end: this.afterLine(last), flow: true };
  }

  /**
   * A plain scalar continued on the lines right below it, indented past the collection: the
   * lines are joined with spaces (YAML folding). Blank or comment lines inside, a comment on the
   * first line, or a continuation line that looks like anything but text are left to the yaml package.
   */
  private plainContinued(first: RawScalar, line: number, indent: number): { scalar: RawScalar; last: number } {
    let last = line;
    let text = first.text;
    let end = first.span.end;
    while (last + 1 < this.lineCount && !this.isBlank(last + 1) && this.indentOf(last + 1) > indent) {
      const l = last + 1;
      const at = this.starts[l]! + this.indentOf(l);
      const c = this.text.charCodeAt(at);
      // A comment line ends the scalar (more text below it is caught by the caller).
      if (c === HASH) break;
      if (INDICATORS.has(c) || c === DASH) giveUp('multi-line scalar');
      const part = this.plain(l, at);
      if (part.span.end !== this.trimmedLineEnd(l)) giveUp('multi-line scalar');
      text += ` ${part.text}`;
      end = part.span.end;
      last = l;
    }
    if (last === line) return { scalar: first, last };
    if (first.span.end !== this.trimmedLineEnd(line)) giveUp('multi-line scalar');
    const scalar: RawScalar = { kind: 'scalar', span: { ...first.span, end }, value: this.resolve(text), text, quoted: false };
    return { scalar, last };
  }

  private trimmedLineEnd(line: number): number {
    let end = this.lineEnd(line);
    while (end > this.starts[line]! && this.text.charCodeAt(end - 1) === SPACE) end--;
    return end;
  }

  /** Nothing after the colon or dash (but perhaps a comment): the value is on the lines below, or empty. */
  private valueBelow(line: number, at: number, indent: number, inMap: boolean, comment: boolean): { node: RawNode; next: number; end: number } {
    const next = this.nextContent(line + 1);
    const nextIndent = next < this.lineCount ? this.indentOf(next) : -1;
    if (nextIndent > indent) {
      if (this.isDashAt(next, nextIndent)) return this.seq(next, nextIndent);
      const keyAt = this.starts[next]! + nextIndent;
      if (!this.isKeyAt(next, keyAt)) giveUp('scalar on its own line');
      this.count();
      return this.map(next, keyAt, nextIndent);
    }
    if (inMap && nextIndent === indent && this.isDashAt(next, indent)) return this.seq(next, indent);
    // An empty value; with a comment after it the yaml package ends it elsewhere: left to it.
    if (comment || this.hasComment(line + 1, next)) giveUp('empty value with a comment');
    const node: RawNode = { kind: 'scalar', span: this.span(line, at, at), value: null, text: '', quoted: false };
    this.lastLine = line;
    return { node, next, end: at };
  }

  private plain(line: number, at: number): RawScalar {
    const lineEnd = this.lineEnd(line);
    let end = lineEnd;
    for (let i = at; i < lineEnd; i++) {
      const c = this.text.charCodeAt(i);
      if (c === HASH && this.text.charCodeAt(i - 1) === SPACE) {
        end = i;
        break;
      }
      // `key: a: b` is an error in YAML; `- a: b` was taken as a mapping above.
      if (c === COLON && (i + 1 === lineEnd || this.text.charCodeAt(i + 1) === SPACE)) giveUp('colon in a plain scalar');
    }
    while (end > at && this.text.charCodeAt(end - 1) === SPACE) end--;
    const first = this.text.charCodeAt(at);
    if (INDICATORS.has(first) || (first === DASH && (at + 1 === end || this.text.charCodeAt(at + 1) === SPACE))) giveUp('indicator starts a plain scalar');
    const text = this.text.slice(at, end);
    if (text === '<<') giveUp('merge value');
    return { kind: 'scalar', span: this.span(line, at, end), value: this.resolve(text), text, quoted: false };
  }

  /** After a closing quote: only spaces and a comment may follow on the line. */
  private checkRest(line: number, from: number): void {
    const lineEnd = this.lineEnd(line);
    let i = from;
    while (i < lineEnd && this.text.charCodeAt(i) === SPACE) i++;
    if (i < lineEnd && !(this.text.charCodeAt(i) === HASH && i > from)) giveUp('text after a quoted scalar');
  }

  private doubleQuoted(line: number, at: number): RawScalar {
    const lineEnd = this.lineEnd(line);
    let value = '';
    let i = at + 1;
    for (;;) {
      if (i >= lineEnd) giveUp('multi-line double-quoted');
      const c = this.text[i]!;
      if (c === '"') break;
      if (c === '\\') {
        const escaped = DQ_ESCAPES[this.text[i + 1] ?? ''];
        if (escaped === undefined || i + 1 >= lineEnd) giveUp('escape');
        value += escaped;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    this.checkRest(line, i + 1);
    return { kind: 'scalar', span: this.span(line, at, i + 1), value, text: value, quoted: true };
  }

  private singleQuoted(line: number, at: number): RawScalar {
    const lineEnd = this.lineEnd(line);
    let value = '';
    let i = at + 1;
    for (;;) {
      if (i >= lineEnd) giveUp('multi-line single-quoted');
      const c = this.text[i]!;
      if (c === "'") {
        if (this.text[i + 1] === "'" && i + 1 < lineEnd) {
          value += "'";
          i += 2;
          continue;
        }
        break;
      }
      value += c;
      i++;
    }
    this.checkRest(line, i + 1);
    return { kind: 'scalar', span: this.span(line, at, i + 1), value, text: value, quoted: true };
  }

  /**
   * `|`, `|-`, `>` or `>-` with its lines below, indented more than the collection. Explicit
   * indentation, keep chomping (`+`), comments after the header, leading blank lines and blank
   * lines holding more spaces than the text's indentation are left to the yaml package.
   */
  private blockScalar(line: number, at: number, indent: number, inMap: boolean): { node: RawNode; next: number; end: number } {
    const lineEnd = this.lineEnd(line);
    const folded = this.text.charCodeAt(at) === 0x3e;
    let i = at + 1;
    const strip = this.text.charCodeAt(i) === DASH;
    if (strip) i++;
    while (i < lineEnd && this.text.charCodeAt(i) === SPACE) i++;
    if (i < lineEnd) giveUp('block scalar header');
    let firstLine = line + 1;
    while (firstLine < this.lineCount && this.isBlank(firstLine)) firstLine++;
    if (firstLine >= this.lineCount) giveUp('block scalar at the end');
    const trim = this.indentOf(firstLine);
    if (trim <= indent) return this.emptyBlockScalar(line, at, firstLine - 1);
    // In a `- |` item the text must sit right of the dash's own column and the space after it.
    if (trim <= indent + (inMap ? 0 : 1) || firstLine > line + 1) giveUp('block scalar indentation');
    const lines: string[] = [];
    let last = firstLine;
    let l = firstLine;
    for (; l < this.lineCount; l++) {
      const lead = this.indentOf(l);
      const blank = this.starts[l]! + lead >= this.lineEnd(l);
      if (blank) {
        if (lead > trim) giveUp('more-indented blank line in a block scalar');
        lines.push('');
        continue;
      }
      if (lead <= indent) break;
      if (lead < trim) giveUp('less-indented block scalar line');
      lines.push(this.text.slice(this.starts[l]! + trim, this.lineEnd(l)));
      last = l;
    }
    const content = lines.slice(0, last - firstLine + 1);
    const body = folded ? foldLines(content) : content.join('\n');
    const value = strip ? body : `${body}\n`;
    const end = this.afterLine(last);
    const node: RawNode = { kind: 'scalar', span: this.span(line, at, end), value, text: value, quoted: true };
    this.lastLine = last;
    return { node, next: this.nextContent(last + 1), end };
  }

  /**
   * A block scalar header with no text under it (the next line is not indented past the
   * collection, e.g. a commented-out script): the empty string, ending after the blank lines
   * that follow the header.
   */
  private emptyBlockScalar(line: number, at: number, lastBlank: number): { node: RawNode; next: number; end: number } {
    const end = this.afterLine(lastBlank);
    const node: RawNode = { kind: 'scalar', span: this.span(line, at, end), value: '', text: '', quoted: true };
    this.lastLine = lastBlank;
    return { node, next: this.nextContent(lastBlank + 1), end };
  }

  /**
   * Where a collection ends, as the yaml package counts it, given the comment lines between its
   * last value and `next` (the first line after it). Its own end (`end`) is its last value's:
   * a plain or quoted scalar takes in the comment lines right after it that are indented past
   * the collection. The end its parent takes (`outer`) reaches to `next` when any of the other
   * comments is indented at least as far as the collection (at column 0 they all move up).
   */
  private collectionEnds(indent: number, next: number, lastEnd: number, flow: boolean | undefined): { end: number; outer: number } {
    let end = lastEnd;
    if (flow) {
      for (let l = this.lastLine + 1; l < next; l++) {
        if (this.isBlank(l)) continue;
        if (this.indentOf(l) <= indent) break;
        end = this.afterLine(l);
        this.lastLine = l;
      }
    }
    if (indent === 0) return { end, outer: end };
    for (let l = this.lastLine + 1; l < next; l++) {
      if (this.isBlank(l) || this.indentOf(l) < indent) continue;
      this.lastLine = next - 1;
      return { end, outer: next < this.lineCount ? this.starts[next]! + this.indentOf(next) : this.text.length };
    }
    return { end, outer: end };
  }

  private hasComment(from: number, to: number): boolean {
    for (let l = from; l < to; l++) if (!this.isBlank(l)) return true;
    return false;
  }

  private isBlank(line: number): boolean {
    return this.starts[line]! + this.indentOf(line) >= this.lineEnd(line);
  }
}

/** Folds the lines of a `>` scalar as YAML does (the lines hold no indentation beyond the first's). */
function foldLines(lines: readonly string[]): string {
  let value = '';
  let sep = '';
  let prevMoreIndented = false;
  for (const line of lines) {
    if (line.startsWith(' ')) {
      if (sep === ' ') sep = '\n';
      else if (!prevMoreIndented && sep === '\n') sep = '\n\n';
      value += sep + line;
      sep = '\n';
      prevMoreIndented = true;
    } else if (line === '') {
      if (sep === '\n') value += '\n';
      else sep = '\n';
    } else {
      value += sep + line;
      sep = ' ';
      prevMoreIndented = false;
    }
  }
  return value;
}
