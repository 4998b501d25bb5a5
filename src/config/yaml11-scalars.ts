/**
 * The value of a plain (unquoted) scalar under YAML 1.1, as wercker's Go yaml.v2 read it and as
 * the yaml package's `yaml-1.1` schema gives it with werker's tags (src/config/yaml-tree.ts):
 * `~`, `null` → null; `yes`/`on`/`y`/`true` (and their no/off/n/false) in the cases YAML 1.1
 * lists → booleans; `0b…`, `0…` (octal), `0x…` and decimal integers, `_` allowed between digits;
 * floats, `.inf` and `.nan`; anything else stays a string. Sexagesimal numbers (`8000:80`) and
 * timestamps stay strings, as in yaml.v2 (docs/wercker-compat.md §2.1).
 *
 * The fast reader (src/config/yaml-fast.ts) resolves with this, so a file it reads needs no
 * yaml package at all; test/unit/yaml11-scalars.test.ts checks it against the package over
 * every plain scalar of the corpus and a generated set.
 */
export type PlainValue = string | number | boolean | null;

/** Tried in this order; the first that matches decides (YAML 1.1's resolution order). */
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const TRUE = /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const FALSE = /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;
const INTEGERS: [RegExp, number, number][] = [
  // pattern, radix, length of the prefix after the sign
  [/^[-+]?0b[01_]+$/, 2, 2],
  [/^[-+]?0[0-7_]+$/, 8, 1],
  [/^[-+]?[0-9][0-9_]*$/, 10, 0],
  [/^[-+]?0x[0-9a-fA-F_]+$/, 16, 2],
];
const INF_OR_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/;

/** Characters a number (or .inf/.nan) may start with; `e5` is one too (NaN), as YAML 1.1's float pattern reads it. */
const NUMBER_START = /^[-+0-9.eE]/;

export function resolvePlainScalar(text: string): PlainValue {
  if (NULL.test(text)) return null;
  if (text.length <= 5) {
    if (TRUE.test(text)) return true;
    if (FALSE.test(text)) return false;
  }
  if (!NUMBER_START.test(text)) return text;
  for (const [pattern, radix, prefix] of INTEGERS) {
    if (pattern.test(text)) return integer(text, radix, prefix);
  }
  if (INF_OR_NAN.test(text)) {
    if (text.endsWith('nan') || text.endsWith('NaN') || text.endsWith('NAN')) return NaN;
    return text.startsWith('-') ? -Infinity : Infinity;
  }
  // `1_000.5`, `.5`, `1e3`; a lone `.` or `._` is NaN, as YAML 1.1's pattern takes them.
  if (FLOAT_EXP.test(text) || FLOAT.test(text)) return parseFloat(text.replace(/_/g, ''));
  return text;
}

/** An integer in `radix`; `-0` is -0 and a prefix with only `_` after it is NaN, as in the yaml package. */
function integer(text: string, radix: number, prefix: number): number {
  const signed = text.startsWith('-') || text.startsWith('+');
  const digits = text.slice((signed ? 1 : 0) + prefix).replace(/_/g, '');
  const n = parseInt(digits, radix);
  return text.startsWith('-') ? -1 * n : n;
}
