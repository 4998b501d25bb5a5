import { describe, expect, it } from 'vitest';
import { Masker } from './mask.ts';
import { StreamMasker } from './mask-stream.ts';

const run = (secrets: string[], chunks: (string | Buffer)[]): { parts: string[]; all: string } => {
  const m = new StreamMasker(new Masker(secrets));
  const parts = chunks.map((c) => m.push(c));
  parts.push(m.end());
  return { parts, all: parts.join('') };
};

describe('StreamMasker', () => {
  it('masks a secret split across chunks and never shows a piece of it', () => {
    const { parts, all } = run(['hunter22'], ['echo hun', 'ter', '22 done\r\n']);
    expect(all).toBe('echo *** done\r\n');
    for (const p of parts) expect(p).not.toMatch(/hun|ter|22/);
  });

  it('shows text at once when no secret can begin in it', () => {
    const { parts } = run(['hunter22'], ['$ ls\r\n', 'a b c\r\n']);
    expect(parts.slice(0, 2)).toEqual(['$ ls\r\n', 'a b c\r\n']);
  });

  it('lets a held start go when the next chunk does not complete the secret', () => {
    const { parts } = run(['hunter22'], ['say hu', 'g\r\n']);
    expect(parts[0]).toBe('say ');
    expect(parts[1]).toBe('hug\r\n');
  });

  it('keeps a UTF-8 character cut in two whole', () => {
    const euro = Buffer.from('€ hunter22 €');
    const { all } = run(['hunter22'], [euro.subarray(0, 1), euro.subarray(1, 6), euro.subarray(6)]);
    expect(all).toBe('€ *** €');
  });

  it('passes everything through without secrets', () => {
    expect(run([], ['ab', 'c']).parts).toEqual(['ab', 'c', '']);
  });
});
