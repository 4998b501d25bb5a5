/** A problem found in a wercker.yml, pinned to where it is. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable machine-readable code, e.g. `yaml-syntax`, `unknown-key`. */
  code: string;
  file: string;
  /** 1-based; 0 when the problem is about the file as a whole. */
  line: number;
  col: number;
  /** Key path in the document, e.g. `build.steps.2.script.code`; '' for the document. */
  path: string;
  message: string;
  hint?: string;
}

/** Where a node sits in the source. Offsets index the decoded text. */
export interface Span {
  line: number;
  col: number;
  offset: number;
  end: number;
}

export type PathPart = string | number;

export const pathString = (path: readonly PathPart[]): string => path.join('.');

/** Collects diagnostics for one file; passed down the normalise pass. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string) {}

  add(severity: Diagnostic['severity'], code: string, at: Span | undefined, path: readonly PathPart[], message: string, hint?: string): void {
    const d: Diagnostic = {
      severity,
      code,
      file: this.file,
      line: at?.line ?? 0,
      col: at?.col ?? 0,
      path: pathString(path),
      message,
    };
    if (hint) d.hint = hint;
    this.items.push(d);
  }
  error(code: string, at: Span | undefined, path: readonly PathPart[], message: string, hint?: string): void {
    this.add('error', code, at, path, message, hint);
  }
  warn(code: string, at: Span | undefined, path: readonly PathPart[], message: string, hint?: string): void {
    this.add('warning', code, at, path, message, hint);
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
  sorted(): Diagnostic[] {
    return [...this.items].sort((a, b) => a.line - b.line || a.col - b.col);
  }
}

/** `file:line:col key.path: message` — the one-line form every diagnostic is printed in. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  const path = d.path ? ` ${d.path}:` : '';
  return `${where}${path} ${d.severity}: ${d.message}`;
}

/**
 * A few lines of source around the diagnostic with a caret under the column. Pass the source
 * already split into lines when framing many diagnostics of one file: splitting it for each
 * would make rendering quadratic in the file's size.
 */
export function codeFrame(source: string | readonly string[], line: number, col: number, context = 2): string {
  if (line <= 0) return '';
  const lines = typeof source === 'string' ? source.split('\n') : source;
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const text = (lines[n - 1] ?? '').replace(/\r$/, '').replace(/\t/g, '→');
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${text}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1))}^`);
  }
  return out.join('\n');
}
