import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from './shell-quote.ts';

describe('shellQuote / shellJoin', () => {
  it.each([
    ['plain', 'plain'],
    ['127.0.0.1:5000/team/app:abc', '127.0.0.1:5000/team/app:abc'],
    ['', "''"],
    ['two words', "'two words'"],
    ["it's", "'it'\\''s'"],
    ['$(touch /tmp/pwned)', "'$(touch /tmp/pwned)'"],
    ['~/x', "'~/x'"],
    ['*.sh', "'*.sh'"],
    ['!', "'!'"],
  ])('%j → %s', (arg, quoted) => {
    expect(shellQuote(arg)).toBe(quoted);
  });

  it('quotes a first word with = so it is not read as an assignment', () => {
    expect(shellJoin(['A=b', 'c=d'])).toBe("'A=b' c=d");
  });

  it('gives a POSIX shell back exactly the argv, whatever the bytes', () => {
    const nasty = ["; $(touch /tmp/pwned) ' \"", '`id`', '\\', 'a\nb', '  lead', '$HOME', "''", '"', '%s', '-n', 'ünï', '#x', '&|<>', '{a,b}'];
    // printf prints each argument followed by a NUL; sh must see exactly our words.
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${shellJoin(nasty)}`], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(nasty);
  });
});
