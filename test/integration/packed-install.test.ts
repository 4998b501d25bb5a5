import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/corpus.ts';
import type { CliResult } from '../helpers/cli.ts';
import { requireDocker } from '../helpers/docker.ts';
import { packAndInstall, type PackedInstall } from '../helpers/packed-install.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// werker as a user installs it: `npm pack` of this repository (its prepack builds the bundle),
// `npm install -g` of the tarball into a temp prefix, then the `werker` bin from that prefix's
// bin/ on PATH, run in directories outside the repository.

const docker = await requireDocker();
const tempDir = tempDirs('werker-packed');
const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
let installed: PackedInstall;

beforeAll(async () => {
  installed = await packAndInstall(tempDir());
});

/** `werker ARGS` by name, as a shell with the prefix's bin/ on PATH runs it, in `cwd`. */
function werker(args: string[], cwd: string): Promise<CliResult> {
  const env = { ...process.env, PATH: `${path.dirname(installed.bin)}${path.delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1' };
  const child = spawn('werker', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A copy of examples/hello in a directory of its own, far from the repository. */
function helloProject(): string {
  const dir = path.join(tempDir(), 'hello');
  cpSync(path.join(repoRoot, 'examples/hello'), dir, { recursive: true });
  return dir;
}

describe('the packed and installed werker', () => {
  it('installs its bundle, built-in steps, detect templates and schema, and only the packages the bundle leaves out', () => {
    const pkg = installed.packageDir;
    for (const file of ['dist/cli/main.js', 'steps/create-file/step.yml', 'templates/nodejs.yml', 'templates/default.yml', 'schema/wercker.schema.json', 'README.md']) {
      expect(existsSync(path.join(pkg, file)), file).toBe(true);
    }
    expect(existsSync(path.join(pkg, 'src'))).toBe(false);
    const modules = readdirSync(path.join(pkg, 'node_modules'));
    // Native and SSH code stays a package (scripts/bundle-options.ts); everything else is in the bundle.
    expect(modules).toEqual(expect.arrayContaining(['better-sqlite3', 'ssh2']));
    for (const inlined of ['commander', 'zod', 'yaml', 'dockerode', 'docker-modem', 'hono', 'kysely', 'pg', '@grpc', 'protobufjs', 'tsx', 'esbuild', 'typescript']) {
      expect(modules, inlined).not.toContain(inlined);
    }
  });

  it('werker --version and werker version answer from any directory', async () => {
    const cwd = tempDir();
    const short = await werker(['--version'], cwd);
    expect(short).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    const long = await werker(['version', '--json'], cwd);
    expect(long.code, long.stderr).toBe(0);
    expect(JSON.parse(long.stdout)).toEqual({ version });
  });

  it('werker check-config checks a project in the current directory, and names file:line:col of a problem', async () => {
    const project = helloProject();
    const good = await werker(['check-config'], project);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toContain('Found pipeline section: build');
    writeFileSync(path.join(project, 'wercker.yml'), 'box: werker-test/busybox\nbuild:\n  steps:\n    - [x]\n');
    const bad = await werker(['check-config'], project);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^wercker\.yml:4:7 build\.steps\.0: error: a step cannot be a list/m);
  });

  it('werker detect writes its template from the installed package, and check-config passes it', async () => {
    const project = tempDir();
    writeFileSync(path.join(project, 'requirements.txt'), '');
    const r = await werker(['detect'], project);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(path.join(project, 'wercker.yml'), 'utf8')).toBe(readFileSync(path.join(repoRoot, 'templates/python.yml'), 'utf8'));
    const check = await werker(['check-config'], project);
    expect(check.code, check.stderr).toBe(0);
  });

  it('werker schema prints the committed JSON Schema', async () => {
    const r = await werker(['schema'], tempDir());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(readFileSync(path.join(repoRoot, 'schema/wercker.schema.json'), 'utf8'));
  });
});

describe.skipIf(!docker)('the installed werker on a Docker engine', () => {
  it('runs the README\'s example pipeline from the project\'s own directory', async () => {
    const project = helloProject();
    const r = await werker(['build', '--working-dir', path.join(tempDir(), 'wd')], project);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('connected; the password is *** (hidden values are masked)');
    expect(r.stdout).toContain('the build passed');
  });

  it('runs its built-in steps from the installed package', async () => {
    const project = tempDir();
    writeFileSync(path.join(project, 'wercker.yml'), [
      'box: werker-test/busybox',
      'build:',
      '  steps:',
      '    - create-file:',
      '        filename: /tmp/made-by-a-built-in-step',
      '        content: installed steps work',
      '    - script:',
      '        name: read it',
      '        code: cat /tmp/made-by-a-built-in-step',
    ].join('\n'));
    const r = await werker(['build', project, '--working-dir', path.join(tempDir(), 'wd'), '--step-source', 'no-github'], tempDir());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Step passed: create-file[\s\S]*installed steps work/);
  });
});
