import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines.ts';

describe('LineSplitter', () => {
  it('returns complete lines and keeps the rest', () => {
    const s = new LineSplitter();
    expect(s.push('a\nb')).toEqual(['a']);
    expect(s.peek()).toBe('b');
    expect(s.push('c\n\nd')).toEqual(['bc', '']);
    expect(s.flush()).toBe('d');
    expect(s.flush()).toBe('');
  });

  it('strips one trailing \\r (CRLF) but keeps inner ones (progress bars)', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from('x\r\n10%\r20%\r\n'))).toEqual(['x', '10%\r20%']);
  });

  it('joins a multi-byte character split across chunks', () => {
    const bytes = Buffer.from('héllo 日本\n', 'utf8');
    const s = new LineSplitter();
    const lines: string[] = [];
    // Feed one byte at a time: every multi-byte character is cut.
    for (const b of bytes) lines.push(...s.push(Buffer.from([b])));
    expect(lines).toEqual(['héllo 日本']);
  });

  it('flush() returns an incomplete character as U+FFFD rather than dropping it', () => {
    const s = new LineSplitter();
    s.push(Buffer.from([0x61, 0xe6, 0x97]));
    expect(s.flush()).toBe('a\ufffd');
  });

  it('handles many lines in one chunk', () => {
    const s = new LineSplitter();
    const text = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const lines = s.push(Buffer.from(text));
    expect(lines).toHaveLength(1000);
    expect(lines[999]).toBe('line 999');
  });
});
