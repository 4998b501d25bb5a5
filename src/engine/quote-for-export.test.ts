import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exportLine, quoteForExport, quoteLiteralForExport } from './quote-for-export.ts';

// Expected strings derived from Go's strconv.Quote (appendEscapedRune), written as raw strings
// so every backslash below is one the shell receives.
describe('quoteForExport (Go %q + escaped backticks, spec §3.6)', () => {
  it.each([
    ['plain', 'hello world', String.raw`export V="hello world"`],
    ['empty', '', String.raw`export V=""`],
    ['quote and backslash', 'a"b\\c', String.raw`export V="a\"b\\c"`],
    ['dollar stays live', 'pa$$w $(id)', String.raw`export V="pa$$w $(id)"`],
    ['backtick', 'a`b`', String.raw`export V="a\`b\`"`],
    ['short escapes', '\x07\b\f\n\r\t\v', String.raw`export V="\a\b\f\n\r\t\v"`],
    ['other C0 and DEL as \\x', '\x00\x01\x1b\x1f\x7f', String.raw`export V="\x00\x01\x1b\x1f\x7f"`],
    ['C1 control as \\u', '\u0085\u009f', String.raw`export V="\u0085\u009f"`],
    ['printable unicode kept', 'é日本ß€', 'export V="é日本ß€"'],
    ['astral symbol kept', '😀', 'export V="😀"'],
    ['combining mark kept', 'e\u0301', 'export V="e\u0301"'],
    ['non-ASCII spaces escaped', '\u00a0\u2003\u3000', String.raw`export V="\u00a0\u2003\u3000"`],
    ['format chars escaped', '\u200b\ufeff\u2028', String.raw`export V="\u200b\ufeff\u2028"`],
    ['private use escaped', '\ue000', String.raw`export V="\ue000"`],
    ['astral unprintable as \\U', '\u{f0000}\u{e0001}', String.raw`export V="\U000f0000\U000e0001"`],
    ['lone surrogate → U+FFFD as Node encodes it', 'a\ud800b', 'export V="a\ufffdb"'],
    ['PEM-ish', '-----BEGIN KEY-----\nAbC+/=\n-----END KEY-----\n', String.raw`export V="-----BEGIN KEY-----\nAbC+/=\n-----END KEY-----\n"`],
  ])('%s', (_name, value, expected) => {
    expect(quoteForExport('V', value)).toBe(expected);
  });

  it('keeps the name as given', () => {
    expect(quoteForExport('WERCKER_GIT_BRANCH', 'main')).toBe('export WERCKER_GIT_BRANCH="main"');
  });

  it('round-trips through a real shell as spec §3.6 describes', () => {
    const value = 'a"b\\c`d`\tend\n';
    const script = `${quoteForExport('V', value)}\nprintf '%s' "$V"`;
    const printed = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
    // `"`, `\` and the backtick survive; the tab and newline arrive as literal \t and \n.
    expect(printed).toBe('a"b\\c`d`\\tend\\n');
  });
});

describe('quoteLiteralForExport (server values, docs/wercker-compat.md §3.6 difference)', () => {
  const hostile = ['pa$$word', '$(id)', '`id`', 'a"b\\c', "it's", "''", '\\', 'a\nb', 'a\n$(echo "$SECRET" | base64 >&2)\n', '${HOME:-x}', '\t\r\x1b[31m', 'é日本😀', '', "'; id; echo '", '$(', '!$!'];

  it.each(hostile)('reaches a real shell exactly as written: %j', (value) => {
    const script = `${quoteLiteralForExport('V', value)}\nprintf '%s' "$V"`;
    const printed = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { SECRET: 'leaked-if-expanded' } });
    expect(printed).toBe(value);
  });

  it('writes single quotes, with a quote as \'\\\'\' and real newlines', () => {
    expect(quoteLiteralForExport('V', "it's $x")).toBe(String.raw`export V='it'\''s $x'`);
    expect(quoteLiteralForExport('V', 'a\nb')).toBe("export V='a\nb'");
  });

  it('refuses a NUL byte instead of changing the value', () => {
    expect(() => quoteLiteralForExport('V', 'a\0b')).toThrow('the value of V holds a NUL byte');
  });

  it('exportLine picks the literal encoding only for values marked literal', () => {
    expect(exportLine({ name: 'V', value: 'pa$$w' })).toBe('export V="pa$$w"');
    expect(exportLine({ name: 'V', value: 'pa$$w', literal: true })).toBe("export V='pa$$w'");
  });
});
