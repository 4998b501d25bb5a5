import { describe, expect, it } from 'vitest';
import { splitAtDashes } from './release-program.ts';

describe('werker release exec [PATH] -- CMD', () => {
  it('splits at the -- of the raw arguments', () => {
    expect(splitAtDashes(['.', 'ls', '-la'], ['release', 'exec', '.', '--', 'ls', '-la'])).toEqual({ command: ['ls', '-la'], target: '.' });
    expect(splitAtDashes(['ls'], ['release', 'exec', '--', 'ls'])).toEqual({ command: ['ls'], target: undefined });
    expect(splitAtDashes([], ['release', 'exec', '-i'])).toEqual({ command: [], target: undefined });
    expect(splitAtDashes(['.'], ['release', 'exec', '-i', '.'])).toEqual({ command: [], target: '.' });
  });

  it('a command without -- is refused with the line to type', () => {
    expect(() => splitAtDashes(['python', 'manage.py'], ['release', 'exec', 'python', 'manage.py'])).toThrow('put the command after --: werker release exec [PATH] -- python manage.py');
    expect(() => splitAtDashes(['no-such-dir'], ['release', 'exec', 'no-such-dir'])).toThrow('put the command after --');
  });
});
