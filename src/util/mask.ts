import { goQuote } from './go-quote.ts';
import { safeLength } from './lines.ts';

/** Secrets shorter than this are not masked: `***` in place of every `1` or `yes` hides more than it protects. */
export const MIN_SECRET_LENGTH = 4;

const MASK = '***';

/**
 * Replaces secret values in output text with `***`. Output is masked a line at a time (after the
 * session's line splitting), so besides each whole secret it also masks:
 * - each line (≥ 4 characters) of a multi-line secret, e.g. a PEM key printed with `cat`;
 * - the forms the box's shell holds after wercker's export encoding (docs/wercker-compat.md §3.6):
 *   the Go-quoted text and what the shell makes of it (a newline becomes a literal `\n`), e.g.
 *   printed by `env`.
 * Every occurrence of every form is found, overlaps included, and the union of those ranges is
 * replaced, so no character of any secret survives next to a neighbouring one.
 * A value whose `$` the shell expanded cannot be predicted and is not covered.
 */
export class Masker {
  readonly #needles: string[];

  constructor(secrets: Iterable<string>) {
    const needles = new Set<string>();
    for (const secret of secrets) for (const form of secretForms(secret)) if (form.length >= MIN_SECRET_LENGTH) needles.add(form);
    // Longest first: when forms share a start, the longest range is taken first (a prefix adds nothing).
    this.#needles = [...needles].sort((a, b) => b.length - a.length);
  }

  get empty(): boolean {
    return this.#needles.length === 0;
  }

  /**
   * How much of an unfinished line can be shown now: up to where a secret (or the start of one,
   * at the end of the text) begins. The rest waits for the line to complete and be masked whole.
   */
  safeLength(text: string): number {
    let upTo = text.length;
    for (const needle of this.#needles) upTo = Math.min(upTo, safeLength(text, needle));
    return upTo;
  }

  /**
   * For a stream cut at arbitrary places (a terminal): the masked text that can be shown now, and
   * the tail to keep until more arrives, because a secret may begin there (a whole occurrence
   * running into that tail is kept too). Nothing of a secret is ever shown before it is complete.
   */
  splitForStream(text: string): { shown: string; held: string } {
    let cut = text.length;
    for (const needle of this.#needles) {
      for (let n = Math.min(needle.length - 1, text.length); n > 0; n--) {
        if (text.endsWith(needle.slice(0, n))) {
          cut = Math.min(cut, text.length - n);
          break;
        }
      }
    }
    for (const [start, end] of this.#ranges(text)) if (start < cut && end > cut) cut = start;
    return { shown: this.mask(text.slice(0, cut)), held: text.slice(cut) };
  }

  mask(text: string): string {
    if (this.#needles.length === 0) return text;
    // Most lines hold no secret: find that out without building the ranges (called per output line).
    if (!this.#needles.some((needle) => text.includes(needle))) return text;
    const ranges = this.#ranges(text);
    if (ranges.length === 0) return text;
    let out = '';
    let at = 0;
    for (const [start, end] of ranges) {
      out += text.slice(at, start) + MASK;
      at = end;
    }
    return out + text.slice(at);
  }

  /** Occurrence ranges of all needles, merged where they overlap or touch, in order. */
  #ranges(text: string): [number, number][] {
    const found: [number, number][] = [];
    for (const needle of this.#needles) {
      for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) found.push([i, i + needle.length]);
    }
    found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const merged: [number, number][] = [];
    for (const [start, end] of found) {
      const last = merged.at(-1);
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    }
    return merged;
  }
}

function secretForms(secret: string): string[] {
  const quoted = goQuote(secret).slice(1, -1);
  const forms = [secret, quoted, unescapeInDoubleQuotes(quoted)];
  if (secret.includes('\n')) forms.push(...secret.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)));
  return forms;
}

// What sh keeps of `"…"` text: `\"`, `\\` (and `\``, `\$`) lose the backslash, any other
// backslash stays. Backticks were escaped for the shell, so unescaping them gives the raw text.
function unescapeInDoubleQuotes(text: string): string {
  return text.replace(/\\(["\\`$])/g, '$1');
}
