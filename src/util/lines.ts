import { StringDecoder } from 'node:string_decoder';

/**
 * Splits one byte stream into lines. Chunks from a container arrive cut at arbitrary byte
 * offsets, so a line (or a multi-byte UTF-8 character) may span chunks; the StringDecoder holds
 * back an incomplete character until its remaining bytes arrive. Use one splitter per stream:
 * stdout and stderr interleave at chunk boundaries, not at line boundaries.
 */
export class LineSplitter {
  #decoder = new StringDecoder('utf8');
  #partial = '';

  /** Feeds a chunk; returns the lines it completed, without `\n` and without a trailing `\r`. */
  push(chunk: Buffer | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    if (!text.includes('\n')) {
      this.#partial += text;
      return [];
    }
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    return text.includes('\r') || parts[0]?.endsWith('\r') ? parts.map(stripCr) : parts;
  }

  /** The text received after the last newline, left in place. */
  peek(): string {
    return this.#partial;
  }

  /** Returns the unterminated rest (and any incomplete UTF-8 bytes, as U+FFFD) and clears it. */
  flush(): string {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    this.#decoder = new StringDecoder('utf8');
    return stripCr(rest);
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** How much of `text` can be shown without showing any part of `needle` (whole, or begun at the end). */
export function safeLength(text: string, needle: string): number {
  const at = text.indexOf(needle);
  if (at !== -1) return at;
  for (let n = Math.min(needle.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(needle.slice(0, n))) return text.length - n;
  }
  return text.length;
}
