import { describe, expect, it } from 'vitest';
import { bufferOutput } from '../../test/fakes/buffer-output.ts';
import { buildProgram } from './program.ts';
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

describe('werker release --help', () => {
  it('lists the day-2 commands', () => {
    const program = buildProgram(bufferOutput());
    const release = program.commands.find((c) => c.name() === 'release')!;
    const help = release.helpInformation();
    for (const sub of ['status [options] [path]', 'logs [options] [path]', 'exec [options] [path] [command...]', 'maintenance [options] [path]', 'live [options] [path]']) expect(help).toContain(sub);
    const logs = release.commands.find((c) => c.name() === 'logs')!.helpInformation();
    for (const flag of ['-f, --follow', '--since <time>', '--grep <regexp>', '--accessory <name>', '--cron <job>', '--host <host>']) expect(logs).toContain(flag);
  });
});
