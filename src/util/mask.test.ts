import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quoteForExport } from '../engine/quote-for-export.ts';
import { LineSplitter } from './lines.ts';
import { Masker } from './mask.ts';

const PEM = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  'QyNTUxOQAAACBvY2Fs',
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n');

describe('Masker', () => {
  it('masks every occurrence', () => {
    const m = new Masker(['s3cr3t']);
    expect(m.mask('a s3cr3t b s3cr3ts3cr3t')).toBe('a *** b ***');
  });

  it('leaves secrets shorter than 4 characters alone', () => {
    const m = new Masker(['abc', 'yes', '']);
    expect(m.mask('abc yes')).toBe('abc yes');
    expect(m.empty).toBe(true);
  });

  it('masks overlapping secrets as one range, so neither shows a piece', () => {
    const m = new Masker(['abcdef', 'defghi']);
    expect(m.mask('xx abcdefghi yy')).toBe('xx *** yy');
    expect(m.mask('defghi abcdef')).toBe('*** ***');
  });

  it('prefers the longest secret where one contains another', () => {
    const m = new Masker(['pass', 'password123']);
    expect(m.mask('password123 pass')).toBe('*** ***');
  });

  it('masks a self-overlapping secret fully', () => {
    expect(new Masker(['aaaa']).mask('baaaaab')).toBe('b***b');
  });

  it('treats regex characters literally', () => {
    expect(new Masker(['a.b*c(d)']).mask('a.b*c(d) axbbc')).toBe('*** axbbc');
  });

  it('masks each line of a multi-line secret (output is masked line by line)', () => {
    const m = new Masker([PEM]);
    const out = PEM.split('\n').map((line) => m.mask(line));
    expect(out).toEqual(['***', '***', '***', '***']);
  });

  it('masks the form the shell prints after the export encoding (newline → literal \\n)', () => {
    const secret = 'line1\nline2"q\\';
    const m = new Masker([secret]);
    const printed = execFileSync('/bin/sh', ['-c', `${quoteForExport('S', secret)}\nprintf '%s\\n' "S=$S"`], { encoding: 'utf8' });
    expect(printed).toBe('S=line1\\nline2"q\\\n');
    expect(m.mask(printed.trimEnd())).toBe('S=***');
  });

  it('never lets a secret split across chunks through LineSplitter → Masker', () => {
    const secret = 'hunter2-top-secret';
    const m = new Masker([secret]);
    const text = `before ${secret} after\nnext ${secret}\n`;
    // Every cut point, including one byte inside the secret.
    for (let cut = 1; cut < text.length; cut++) {
      const s = new LineSplitter();
      const lines = [...s.push(Buffer.from(text.slice(0, cut))), ...s.push(Buffer.from(text.slice(cut)))];
      const masked = lines.map((l) => m.mask(l));
      expect(masked).toEqual(['before *** after', 'next ***']);
    }
  });

  it('never lets a PEM key through, fed in ragged chunks', () => {
    const m = new Masker([PEM]);
    const text = `key:\n${PEM}\ndone\n`;
    const s = new LineSplitter();
    const lines: string[] = [];
    for (let i = 0; i < text.length; i += 7) lines.push(...s.push(Buffer.from(text.slice(i, i + 7))));
    const out = lines.map((l) => m.mask(l)).join('\n');
    for (const line of PEM.split('\n')) expect(out).not.toContain(line);
    expect(out).toBe('key:\n***\n***\n***\n***\ndone');
  });
});

describe('Masker.safeLength (partial lines shown early)', () => {
  it('holds back from where a secret, or the start of one at the end, begins', () => {
    const m = new Masker(['tok-5b9d2c7e41aa']);
    expect(m.safeLength('progress 50%')).toBe(12);
    expect(m.safeLength('token: tok-5b9')).toBe(7);
    expect(m.safeLength('token: tok-5b9d2c7e41aa and more')).toBe(7);
    expect(m.safeLength('ends with t')).toBe(10);
  });
});
