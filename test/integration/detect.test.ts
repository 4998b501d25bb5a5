import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { requireDocker } from '../helpers/docker.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// `werker detect` (docs/wercker-compat.md §8.1) as a user runs it: in the project's directory,
// then `werker check-config` on what it wrote; and two of the templates run on the engine.

const docker = await requireDocker();
const tempDir = tempDirs('werker-detect');

/** A project directory holding empty files of these names. */
function project(files: Record<string, string> | string[]): string {
  const dir = tempDir();
  const entries = Array.isArray(files) ? files.map((f) => [f, ''] as const) : Object.entries(files);
  for (const [name, text] of entries) writeFileSync(path.join(dir, name), text);
  return dir;
}

const template = (stack: string) => readFileSync(path.join(repoRoot, 'templates', `${stack}.yml`), 'utf8');

describe('werker detect', () => {
  it.each([
    ['nodejs', ['package.json']],
    ['python', ['requirements.txt']],
    ['ruby', ['Gemfile']],
    ['golang', ['main.go']],
    ['java-maven', ['pom.xml']],
    ['java-gradle', ['build.gradle']],
  ])('writes the %s template where it finds %j, and check-config passes it', async (stack, files) => {
    const cwd = project(files);
    const r = await runCli(['detect'], { cwd });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`Detected: ${stack}\nGenerating wercker.yml\n`);
    expect(readFileSync(path.join(cwd, 'wercker.yml'), 'utf8')).toBe(template(stack));
    const check = await runCli(['check-config'], { cwd });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('Found pipeline section: build');
    expect(check.stderr).toContain('wercker.yml: 0 errors, 0 warnings');
  });

  it('writes the default template where it finds no stack, under its short name de', async () => {
    const cwd = project(['notes.txt']);
    const r = await runCli(['de'], { cwd });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('No stack detected, generating default wercker.yml');
    const check = await runCli(['check-config'], { cwd });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toContain('wercker.yml: 0 errors, 0 warnings');
  });

  it('leaves an existing wercker.yml alone when nobody answers the question (stdin closed), exit 1', async () => {
    const cwd = project({ 'package.json': '{}', 'wercker.yml': 'box: mine\n' });
    const r = await runCli(['detect'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('wercker.yml already exists. Do you want to overwrite? (yes/no)');
    expect(r.stderr).toContain('no answer on stdin');
    expect(readFileSync(path.join(cwd, 'wercker.yml'), 'utf8')).toBe('box: mine\n');
  });
});

// The public boxes cannot be pulled here: the local stand-ins (images/) run in their place.
describe.skipIf(!docker)('a detected template on the engine', () => {
  it('the nodejs template installs and runs the project\'s tests', async () => {
    const cwd = project({ 'package.json': JSON.stringify({ name: 'detected', version: '1.0.0', scripts: { test: 'echo the detected tests ran' } }) });
    expect((await runCli(['detect'], { cwd })).code).toBe(0);
    const r = await runCli(['build', '--working-dir', tempDir(), '--image-map', 'node=werker-test/node'], { cwd });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Step passed: npm-install[\s\S]*the detected tests ran[\s\S]*Step passed: npm-test/);
  });

  it('the python template installs the requirements', async () => {
    const cwd = project({ 'requirements.txt': 'Django\n' });
    expect((await runCli(['detect'], { cwd })).code).toBe(0);
    const r = await runCli(['build', '--working-dir', tempDir(), '--image-map', 'python=werker-test/python-django'], { cwd });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Step passed: pip-install[\s\S]*Python 3/);
  });
});
