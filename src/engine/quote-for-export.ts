import { goQuote } from '../util/go-quote.ts';

/**
 * The line wercker sends to set one variable (spec §3.6, exact): `export KEY="<Go %q of value>"`
 * with backticks escaped. Inside the shell's double quotes `\"` and `\\` come back as `"` and
 * `\`, `$` stays live (so `$(cmd)` runs, as in wercker), and \n, \t, ... arrive as literal
 * backslash sequences.
 */
export function quoteForExport(name: string, value: string): string {
  return `export ${name}=${goQuote(value).replaceAll('`', '\\`')}`;
}
