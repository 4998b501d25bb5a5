import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Diagnostic } from '../config/diagnostics.ts';
import { renderDiagnostics } from './diagnostics.ts';

/** A file of `n` junk keys with one warning each, as check-config sees it. */
function junk(n: number): { text: string; diagnostics: Diagnostic[] } {
  const lines = Array.from({ length: n }, (_, i) => `junk${i}: ${i}`);
  const diagnostics = lines.map((_, i): Diagnostic => ({ severity: 'warning', code: 'ignored', file: 'wercker.yml', line: i + 1, col: 8, path: `junk${i}`, message: 'ignored' }));
  return { text: lines.join('\n'), diagnostics };
}

/** Characters of text split into lines while rendering: the work that grows with the file. */
function charactersSplit(n: number): number {
  const { text, diagnostics } = junk(n);
  let total = 0;
  const split = String.prototype.split;
  const spy = vi.spyOn(String.prototype, 'split').mockImplementation(function (this: string, ...args: Parameters<string['split']>) {
    total += this.length;
    return split.apply(this, args);
  });
  try {
    renderDiagnostics(diagnostics, text, false);
  } finally {
    spy.mockRestore();
  }
  return total;
}

afterEach(() => vi.restoreAllMocks());

describe('renderDiagnostics', () => {
  it('does work linear in the file size: 8x the warnings over an 8x longer file splits 8x the text, not 64x', () => {
    const small = charactersSplit(500);
    const large = charactersSplit(4000);
    expect(large / small).toBeLessThan(10);
  });

  it('still frames each warning with its own lines', () => {
    const { text, diagnostics } = junk(5);
    const out = renderDiagnostics(diagnostics.slice(2, 3), text, false);
    expect(out).toBe([
      'wercker.yml:3:8 junk2: warning: ignored',
      '  1 | junk0: 0',
      '  2 | junk1: 1',
      '> 3 | junk2: 2',
      '    |        ^',
      '  4 | junk3: 3',
      '  5 | junk4: 4',
    ].join('\n'));
  });
});
