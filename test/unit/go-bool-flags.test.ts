import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGoBool, rewriteGoBooleans } from '../../src/cli/bool-flags.ts';
import { main } from '../../src/cli/cli.ts';
import { bufferOutput } from '../fakes/buffer-output.ts';
import { buildProgram } from '../../src/cli/program.ts';

// wercker's flags were Go booleans (docs/wercker-compat.md §8.2, §8.3): `--flag=value` with
// strconv.ParseBool's values, and a boolean never takes the next word as its value.

const dir = mkdtempSync(path.join(tmpdir(), 'werker-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Parses a command line with the real program, the actions replaced by capturing their options. */
async function parsed(argv: string[]): Promise<{ command: string; opts: Record<string, unknown>; args: unknown[]; global: Record<string, unknown> }> {
  const program = buildProgram(bufferOutput());
  let result: { command: string; opts: Record<string, unknown>; args: unknown[] } | undefined;
  const capture = (cmd: Command) => {
    cmd.action((...args: unknown[]) => {
      result = { command: cmd.name(), opts: cmd.opts(), args: args.slice(0, -2) };
    });
    cmd.commands.forEach(capture);
  };
  program.commands.forEach(capture);
  await program.parseAsync(rewriteGoBooleans(program, argv), { from: 'user' });
  return { ...result!, global: program.opts() };
}

const COMMANDS = ['build', 'dev', 'deploy', 'workflow', 'check-config', 'plan'] as const;

/** Every boolean flag a command accepts, as written on its command line (`--X` or `--no-X`). */
function booleanFlags(command: string): string[] {
  const cmd = buildProgram(bufferOutput()).commands.find((c) => c.name() === command)!;
  return cmd.options.filter((o) => o.long && !o.required && !o.optional).map((o) => o.long!);
}

describe('Go-style boolean flags', () => {
  it('reads values as strconv.ParseBool does', () => {
    for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parseGoBool(v), v).toBe(true);
    for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parseGoBool(v), v).toBe(false);
    for (const v of ['', 'yes', 'no', 'on', 'tRuE', '2', ' true']) expect(parseGoBool(v), v).toBeUndefined();
  });

  it.each(COMMANDS)('werker %s: --X=true is --X and --X=false is its opposite, for every boolean flag', async (command) => {
    const lead = command === 'workflow' ? ['workflow', 'ci'] : [command];
    const flags = booleanFlags(command);
    expect(flags.length).toBeGreaterThan(command === 'check-config' ? 5 : 10);
    for (const flag of flags) {
      const opposite = flag.startsWith('--no-') ? `--${flag.slice(5)}` : `--no-${flag.slice(2)}`;
      expect((await parsed([...lead, `${flag}=true`])).opts, `${flag}=true`).toEqual((await parsed([...lead, flag])).opts);
      expect((await parsed([...lead, `${flag}=False`])).opts, `${flag}=False`).toEqual((await parsed([...lead, opposite])).opts);
    }
  });

  it('gives wercker\'s flags wercker\'s meaning', async () => {
    expect((await parsed(['build', '--direct-mount=true'])).opts.directMount).toBe(true);
    expect((await parsed(['dev'])).opts.directMount).toBe(true);
    expect((await parsed(['dev', '--direct-mount=false'])).opts.directMount).toBe(false);
    expect((await parsed(['dev', '--no-direct-mount'])).opts.directMount).toBe(false);
    expect((await parsed(['build'])).opts.enableDevSteps).toBe(true);
    expect((await parsed(['build', '--enable-dev-steps=false'])).opts.enableDevSteps).toBe(false);
    expect((await parsed(['dev', '--enable-dev-steps=0'])).opts.enableDevSteps).toBe(false);
    expect((await parsed(['build', '--no-remove=true'])).opts.remove).toBe(false);
    expect((await parsed(['build', '--no-remove=false'])).opts.remove).toBe(true);
    expect((await parsed(['build', '--no-remove'])).opts.remove).toBe(false);
    expect((await parsed(['deploy', '--artifacts=1'])).opts.artifacts).toBe(true);
    expect((await parsed(['build', '--artifacts', '--artifacts=f'])).opts.artifacts).toBe(false);
    // Value flags keep taking `=` too, and `--no-response-timeout` stays a value flag.
    expect((await parsed(['build', '--no-response-timeout=3', '--pipeline=x'])).opts).toMatchObject({ responseTimeout: '3', pipeline: 'x' });
  });

  it('takes a long flag written with one dash, as Go\'s flag package did', async () => {
    expect((await parsed(['build', '-artifacts=false', '-pipeline', 'deploy', '-no-remove'])).opts).toMatchObject({ artifacts: false, pipeline: 'deploy', remove: false });
    expect((await parsed(['-verbose', 'check-config', '-json=1'])).opts).toMatchObject({ json: true });
  });

  it('never takes the next word as a boolean\'s value (it is the project path)', async () => {
    expect((await parsed(['build', '--artifacts', 'myproject'])).args).toEqual(['myproject']);
    expect((await parsed(['build', '--working-dir', '--x', 'proj'])).args).toEqual(['proj']);
  });

  it('reads the global booleans before the command the same way', async () => {
    const r = await parsed(['--verbose=true', '--debug=false', '--no-colors=1', 'check-config', '.']);
    expect(r.global).toMatchObject({ verbose: true, debug: false, colors: false });
    expect(r.command).toBe('check-config');
  });

  it.each([
    [['build', '--enable-dev-steps=maybe'], '--enable-dev-steps', 'maybe'],
    [['dev', '.', '--direct-mount=yes'], '--direct-mount', 'yes'],
    [['check-config', '.', '--json='], '--json', ''],
    [['--verbose=2', 'plan'], '--verbose', '2'],
  ])('refuses %j with exit 2, naming the flag', async (argv, flag, value) => {
    const out = bufferOutput();
    expect(await main(argv, out)).toBe(2);
    expect(out.err).toContain(`error: invalid boolean value "${value}" for ${flag}`);
    expect(out.err).toContain(`hint: ${flag} takes true or false`);
  });

  it('accepts wercker\'s pipeline flags on check-config, as wercker did', async () => {
    const file = path.join(dir, 'wercker.yml');
    writeFileSync(file, 'box: a\nbuild:\n  steps: [x]\n');
    const out = bufferOutput();
    expect(await main(['check-config', file, '--no-remove=true', '--enable-dev-steps=false', '--working-dir', dir, '--artifacts'], out)).toBe(0);
    expect(out.out).toContain('Found pipeline section: build');
  });
});

describe('exit codes of a bad wercker.yml (docs/wercker-compat.md §4.7)', () => {
  const empty = path.join(dir, 'empty');
  writeFileSync(path.join(dir, 'empty.yml'), '# only a comment\n');

  it('werker workflow exits 1, as wercker did; check-config and plan exit 2', async () => {
    for (const [argv, code] of [
      [['workflow', 'ci', dir, '--wercker-yml', `${empty}.yml`, '--working-dir', path.join(dir, 'wd')], 1],
      [['check-config', `${empty}.yml`], 2],
      [['plan', dir, '--wercker-yml', `${empty}.yml`, '--working-dir', path.join(dir, 'wd')], 2],
    ] as const) {
      const out = bufferOutput();
      expect(await main([...argv], out), argv.join(' ')).toBe(code);
      expect(out.err).toContain('Your wercker.yml is empty.');
    }
  });
});
