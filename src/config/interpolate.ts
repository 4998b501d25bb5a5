/**
 * `$VAR` / `${VAR}` expansion exactly as Go's os.Expand, which wercker used for the fields
 * docs/wercker-compat.md §2.6 lists (box/service id, tag, env values, volumes, auth; some
 * internal-step options):
 * unknown names become "", `$` plus one of `*#$@!?-` or a digit is a one-character name,
 * `${}` is dropped, `${X:-d}` looks up the name "X:-d", and a `$` before anything else stays.
 * There is no escape syntax.
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  if (!input.includes('$')) return input;
  let out = '';
  let i = 0;
  for (let j = 0; j < input.length; j++) {
    if (input[j] !== '$' || j + 1 >= input.length) continue;
    out += input.slice(i, j);
    const [name, width] = shellName(input.slice(j + 1));
    if (name === '' && width > 0) {
      // Bad syntax such as "${}": the characters are eaten.
    } else if (name === '') {
      out += '$';
    } else {
      out += lookup(name) ?? '';
    }
    j += width;
    i = j + 1;
  }
  return out + input.slice(i);
}

const isSpecial = (c: string | undefined): boolean => c !== undefined && /^[*#$@!?\-0-9]$/.test(c);
const isAlphaNum = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_]$/.test(c);

function shellName(s: string): [string, number] {
  if (s[0] === '{') {
    if (s.length > 2 && isSpecial(s[1]) && s[2] === '}') return [s[1]!, 3];
    for (let i = 1; i < s.length; i++) {
      if (s[i] === '}') return i === 1 ? ['', 2] : [s.slice(1, i), i + 1];
    }
    return ['', 1];
  }
  if (isSpecial(s[0])) return [s[0]!, 1];
  let i = 0;
  while (i < s.length && isAlphaNum(s[i])) i++;
  return [s.slice(0, i), i];
}

/** Names a string refers to with `$NAME` / `${NAME}` (for `werker plan` and secret checks). */
export function referencedVars(input: string): string[] {
  const names = new Set<string>();
  expandVars(input, (name) => {
    names.add(name);
    return '';
  });
  return [...names];
}
