import { goQuote } from '../util/go-quote.ts';

/**
 * The line wercker sends to set one variable (docs/wercker-compat.md §3.6, exact):
 * `export KEY="<Go %q of value>"` with backticks escaped. Inside the shell's double quotes `\"`
 * and `\\` come back as `"` and `\`, `$` stays live (so `$(cmd)` runs, as in wercker), and
 * \n, \t, ... arrive as literal backslash sequences.
 */
export function quoteForExport(name: string, value: string): string {
  return `export ${name}=${goQuote(value).replaceAll('`', '\\`')}`;
}

/**
 * The literal encoding, for values that must reach the step exactly as written (everything a
 * werker server sends: variables, key pairs, branch names; docs/wercker-compat.md §3.6 and
 * §9.3/§9.4, where the server deliberately differs): `export KEY='…'` in POSIX single quotes,
 * where nothing is special except `'` itself, written `'\''`. `$`, backquotes, `"` and `\` stay
 * as they are and newlines stay real newlines (the shell reads on to the closing quote). A NUL
 * byte can't live in a shell variable: such a value is refused rather than changed.
 */
export function quoteLiteralForExport(name: string, value: string): string {
  if (value.includes('\0')) throw new Error(`the value of ${name} holds a NUL byte, which no shell variable can hold`);
  return `export ${name}='${value.replaceAll("'", "'\\''")}'`;
}

/** The export line of one variable: literal when it is marked so, else wercker's encoding. */
export function exportLine(v: { name: string; value: string; literal?: boolean }): string {
  return v.literal ? quoteLiteralForExport(v.name, v.value) : quoteForExport(v.name, v.value);
}
