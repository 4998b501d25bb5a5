/**
 * Go's strconv.Quote (what `fmt.Sprintf("%q", s)` prints), which wercker used to encode every
 * exported value (docs/wercker-compat.md §3.6). Reproduced rune by rune from Go's
 * appendEscapedRune: `"` and `\` get a backslash; printable runes are kept; \a \b \f \n \r \t \v
 * have short forms; other control bytes become \xNN; any other unprintable rune \uNNNN or
 * \UNNNNNNNN (lower-case hex).
 *
 * Go quotes bytes and turns invalid UTF-8 into \xNN. A JavaScript string has no invalid bytes,
 * only lone surrogates, which Node writes out as U+FFFD; Go prints U+FFFD as is (it is a symbol),
 * so a lone surrogate is kept as U+FFFD here too.
 */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) out += escapeRune(ch);
  return out + '"';
}

const SHORT_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

// unicode.IsPrint: categories L, M, N, P, S, plus the ASCII space (not other spaces).
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function escapeRune(ch: string): string {
  if (ch === '"' || ch === '\\') return '\\' + ch;
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0xd800 && cp <= 0xdfff) return '\ufffd';
  if (PRINTABLE.test(ch)) return ch;
  const short = SHORT_ESCAPES[ch];
  if (short) return short;
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex(cp, 2);
  if (cp < 0x10000) return '\\u' + hex(cp, 4);
  return '\\U' + hex(cp, 8);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
