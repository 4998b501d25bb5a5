import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeLeftovers } from '../../src/engine/cleanup.ts';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { runCli } from '../helpers/cli.ts';
import { requireDocker } from '../helpers/docker.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// wercker's CLI flags and the variables they set, run on the real engine through the CLI as a user
// runs it (docs/wercker-compat.md §3.2, §3.5, §8.2, §8.3).
const docker: DockerRuntime | undefined = await requireDocker();
const temp = tempDirs('werker-flags');
const BOX = 'box: werker-test/busybox';

/** A project dir named `name` holding this wercker.yml, and a working dir for its runs. */
function project(yml: string, name = 'shop'): { dir: string; wd: string } {
  const dir = path.join(temp(), name);
  mkdirSync(dir);
  return { dir: write(dir, yml), wd: mkdtempSync(path.join(temp(), 'wd-')) };
}
function write(dir: string, yml: string): string {
  writeFileSync(path.join(dir, 'wercker.yml'), yml);
  return dir;
}

const PRINT_VARS = `${BOX}\nbuild:\n  steps:\n    - script:\n        code: |\n          echo "app-url=$WERCKER_APPLICATION_URL"\n          echo "run-url=$WERCKER_RUN_URL"\n          echo "started-by=$WERCKER_STARTED_BY"\n          echo "target=\${WERCKER_DEPLOYTARGET_NAME-unset}"\n`;

describe.skipIf(!docker)('wercker\'s flags and the variables they set', () => {
  it('§3.2, §8.3: --base-url and --application-started-by-name reach the step; --log-json prints the events as JSON lines', async () => {
    const p = project(PRINT_VARS);
    const r = await runCli(['--base-url', 'http://ci.example:8080', '--log-json', 'build', p.dir, '--working-dir', p.wd, '--application-started-by-name', 'alice', '--run-id', 'run-1']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; text?: string });
    const printed = events.filter((e) => e.type === 'step.output').map((e) => e.text);
    const owner = printed.find((t) => t?.startsWith('run-url='))!.split('/')[3];
    expect(printed).toEqual(expect.arrayContaining([
      'app-url=http://ci.example:8080/#applications/shop', `run-url=http://ci.example:8080/${owner}/shop/runs/build/run-1`, 'started-by=alice',
    ]));
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', status: 'passed' });
  });

  it('§3.2: without --base-url the URLs are wercker\'s, on https://app.wercker.com', async () => {
    const p = project(PRINT_VARS);
    const r = await runCli(['build', p.dir, '--working-dir', p.wd], { env: { WERCKER_STARTED_BY: 'host-user' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('app-url=https://app.wercker.com/#applications/shop');
    expect(r.stdout).toContain('started-by=host-user');
  });

  it('§3.5: --verbose shows the public export lines with a secret masked; --debug shows the hidden ones too, marked [ ]', async () => {
    const p = project(`${BOX}\nbuild:\n  steps:\n    - script:\n        name: show\n        code: echo "token is $TOKEN"\n`);
    const env = { X_GREETING: 'hello', XXX_TOKEN: 'pa55-word-9', X_COPY: 'pa55-word-9' };
    const verbose = await runCli(['--verbose', 'build', p.dir, '--working-dir', p.wd], { env });
    expect(verbose.code, verbose.stdout + verbose.stderr).toBe(0);
    expect(verbose.stdout).toContain('export GREETING="hello"\n');
    expect(verbose.stdout).toContain('export COPY="***"\n');
    expect(verbose.stdout).toContain('export WERCKER_STEP_NAME="script"\n');
    expect(verbose.stdout).toContain('token is ***');
    expect(verbose.stdout).not.toMatch(/export TOKEN=|mkdir -p|pa55-word-9/);
    const debug = await runCli(['--debug', 'build', p.dir, '--working-dir', p.wd], { env });
    expect(debug.code, debug.stdout + debug.stderr).toBe(0);
    expect(debug.stdout).toContain('export GREETING="hello"\n');
    expect(debug.stdout).toContain('[ ] export TOKEN="***"\n');
    expect(debug.stdout).toMatch(/\[ \] \. "\/pipeline\/script-[\w-]+\/run\.sh" < \/dev\/null\n/);
    expect(debug.stdout).not.toContain('pa55-word-9');
    const plain = await runCli(['build', p.dir, '--working-dir', p.wd], { env });
    expect(plain.stdout).not.toMatch(/export |\[ \]/);
  });

  it('§8.3: --suppress-build-logs keeps a step\'s output off the screen and in the log file', async () => {
    const p = project(`${BOX}\nbuild:\n  steps:\n    - script:\n        name: noisy\n        code: echo quiet-marker-42\n`);
    const r = await runCli(['build', p.dir, '--working-dir', p.wd, '--suppress-build-logs', '--run-id', 'quiet-run']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Step passed: noisy');
    expect(r.stdout + r.stderr).not.toContain('quiet-marker-42');
    expect(readFileSync(path.join(p.wd, 'logs', 'quiet-run.log'), 'utf8')).toContain('quiet-marker-42');
  });

  it('§8.3: --docker-memory-swap is the box\'s MemorySwap; without --docker-memory it is refused', async () => {
    const p = project(`${BOX}\nbuild:\n  steps:\n    - script: {code: echo swapped}\n`);
    const runId = `swap${randomBytes(4).toString('hex')}`;
    try {
      const r = await runCli(['build', p.dir, '--working-dir', p.wd, '--docker-memory', '64', '--docker-memory-swap', '192', '--no-remove', '--run-id', runId]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const box = await docker!.docker.getContainer(`wercker-pipeline-${runId}`).inspect();
      expect(box.HostConfig).toMatchObject({ Memory: 64 * 1024 * 1024, MemorySwap: 192 * 1024 * 1024 });
    } finally {
      await removeLeftovers(docker!, { runId });
    }
    const alone = await runCli(['build', p.dir, '--working-dir', p.wd, '--docker-memory-swap', '192']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('error: --docker-memory-swap needs --docker-memory');
  });
});

