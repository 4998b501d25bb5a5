import { describe, expect, it } from 'vitest';
import { expandVars, referencedVars } from './interpolate.ts';

const env: Record<string, string> = { FOO: 'foo', BAR_1: 'bar', 'X:-d': 'odd' };
const expand = (s: string) => expandVars(s, (n) => env[n]);

describe('expandVars (Go os.Expand semantics)', () => {
  it.each([
    ['$FOO/x', 'foo/x'],
    ['${FOO}x', 'foox'],
    ['$FOOx', ''],
    ['$BAR_1-$UNKNOWN.', 'bar-.'],
    ['pa$$w', 'paw'],
    ['a$1b', 'ab'],
    ['${}', ''],
    ['x${', 'x'],
    ['${X:-d}', 'odd'],
    ['${Y:-default}', ''],
    ['cost $ 5', 'cost $ 5'],
    ['100%$', '100%$'],
    ['$.x', '$.x'],
    ['no dollars', 'no dollars'],
    ['${#}', ''],
  ])('%s → %s', (input, expected) => {
    expect(expand(input)).toBe(expected);
  });

  it('lists referenced names once each', () => {
    expect(referencedVars('$A ${B} $A $$')).toEqual(['A', 'B', '$']);
  });
});
