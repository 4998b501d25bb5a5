import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.ts';
import { bufferOutput } from '../fakes/buffer-output.ts';
import { buildProgram } from '../../src/cli/program.ts';

// wercker's command names (docs/wercker-compat.md §8.1): the short forms and `version`.

/** The command a command line reaches, with the real program and the actions replaced. */
async function reached(argv: string[]): Promise<string> {
  const program = buildProgram(bufferOutput());
  let name = '';
  for (const cmd of program.commands as Command[]) cmd.action(() => { name = cmd.name(); });
  await program.parseAsync(argv, { from: 'user' });
  return name;
}

describe('command names', () => {
  it.each([['b', 'build'], ['d', 'deploy'], ['de', 'detect'], ['w', 'workflow'], ['v', 'version']])('%s is %s', async (short, long) => {
    expect(await reached([short])).toBe(long);
  });

  it('werker version prints the version, --json as JSON', async () => {
    const plain = bufferOutput();
    expect(await main(['version'], plain)).toBe(0);
    expect(plain.out).toMatch(/^werker version \d+\.\d+\.\d+/);
    const json = bufferOutput();
    expect(await main(['version', '--json'], json)).toBe(0);
    expect(JSON.parse(json.out)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });
});
