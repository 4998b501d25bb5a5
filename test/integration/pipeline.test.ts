import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp-dirs.ts';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { fixture, runCli, spawnCli } from '../helpers/cli.ts';
import { requireDocker, runLeftovers } from '../helpers/docker.ts';

// werker build on the real engine, as a user runs it: the CLI in a child process.
// Top-level await: without an engine the suite skips, unless WERKER_REQUIRE_DOCKER=1 where this throws.
const docker: DockerRuntime | undefined = await requireDocker();
const workDir = tempDirs('werker-run');


const leftovers = (runId: string): Promise<string[]> => runLeftovers(docker!, runId);

describe.skipIf(!docker)('werker build on a Docker engine', () => {
  it('runs the README\'s bundled example, a pipeline with a PostGIS service', async () => {
    const r = await runCli(['build', 'examples/hello', '--working-dir', workDir()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('connected; the password is *** (hidden values are masked)');
    expect(r.stdout).toContain('the build passed');
  });

  it('keeps exports, functions and the cwd reset between steps; a failing step stops the pipeline; after-steps see the result', async () => {
    const r = await runCli(['build', fixture('basics'), '--working-dir', workDir(), '--run-id', 'itbasics01']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('function works');
    expect(r.stdout).toContain('FOO is bar in /pipeline/source');
    expect(r.stdout).toContain('to stderr');
    expect(r.stdout).toContain('about to fail');
    expect(r.stdout).not.toContain('never printed');
    expect(r.stdout).not.toContain('NOT REACHED');
    expect(r.stdout).toMatch(/Step failed: fail/);
    expect(r.stdout).toContain('Starting after-steps');
    // After-steps run in the restarted box: files stay, exports are gone (docs/wercker-compat.md §4.8).
    expect(r.stdout).toContain('result=failed failed=fail foo=unset');
    expect(r.stdout).toMatch(/Pipeline failed/);
    expect(await leftovers('itbasics01')).toEqual([]);
  });

  it('falls back to sh in a box without bash, where sudo is harmless', async () => {
    const r = await runCli(['build', fixture('sh-fallback'), '--working-dir', workDir()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('no bash here');
    expect(r.stdout).toContain('sudo is harmless, A=1');
    expect(r.stdout).toMatch(/Pipeline finished/);
  });

  it('fails a step that ends the shell with exit 0, and says why', async () => {
    const r = await runCli(['build', fixture('exit-zero'), '--working-dir', workDir()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('before');
    expect(r.stdout).toMatch(/Step failed: leaves early[\s\S]*the shell ended with exit code 0[\s\S]*hint: .*use `return`/);
    expect(r.stdout).not.toContain('NOT REACHED');
  });

  it('starts PostGIS ready before the first step, which reaches it through the link variables', async () => {
    const r = await runCli(['build', fixture('postgis'), '--working-dir', workDir(), '--image-map', 'mdillon/postgis=werker-test/postgis', '--run-id', 'itpostgis01']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Service postgis ready after [\d.]+s \(port 5432\)/);
    expect(r.stdout).toMatch(/postgis 3\.\d/);
    // The password came from a hidden XXX_ variable: masked even as the service's link variable.
    expect(r.stdout).toContain('password is ***');
    expect(r.stdout + r.stderr).not.toContain('pg-secret-8f3e2a');
    expect(await leftovers('itpostgis01')).toEqual([]);
  });

  it('masks XXX_ and ENVIRONMENT secrets in terminal output, the log file and --json, even split across chunks', async () => {
    const wd = workDir();
    const env = { XXX_API_TOKEN: 'tok-5b9d2c7e41aa' };
    const plain = await runCli(['build', fixture('secrets'), '--working-dir', wd], { env });
    const json = await runCli(['build', fixture('secrets'), '--working-dir', wd, '--json'], { env });
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(json.code).toBe(0);
    const logs = readdirSync(path.join(wd, 'logs')).map((f) => readFileSync(path.join(wd, 'logs', f), 'utf8'));
    expect(logs).toHaveLength(2);
    for (const text of [plain.stdout, plain.stderr, json.stdout, json.stderr, ...logs]) {
      for (const secret of ['tok-5b9d2c7e41aa', 'tok-5b9', 'd2c7e41aa', 'file-secret-93c1d7', 'AAAAline-one-of-key', 'BBBBline-two-of-key']) expect(text).not.toContain(secret);
    }
    for (const text of [plain.stdout, json.stdout, ...logs]) expect(text).toContain('public: not-a-secret');
    expect(plain.stdout).toContain('token: ***');
    expect(plain.stdout).toContain('from file: ***');
    const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', status: 'passed' });
    expect(events.filter((e) => e.type === 'step.output').map((e) => e.text)).toContain('***');
  });

  it('keeps the cache between runs, honours the ignore file, and stores artifacts with --artifacts', async () => {
    const wd = workDir();
    const first = await runCli(['build', fixture('cache-artifacts'), '--working-dir', wd, '--artifacts', '--run-id', 'itcache01']);
    const second = await runCli(['build', fixture('cache-artifacts'), '--working-dir', wd]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain('run number 1');
    expect(second.stdout).toContain('run number 2');
    expect(first.stdout).toContain('ignore file honoured');
    expect(first.stdout).toContain('kept file');
    expect(readFileSync(path.join(wd, 'builds/itcache01/output/result.txt'), 'utf8')).toBe('built\n');
    // `latest` follows every run (docs/wercker-compat.md §1): the second, without --artifacts, has no output.
    expect(readlinkSync(path.join(wd, 'latest'))).toMatch(/^builds\/[0-9a-f]{24}$/);
  });

  it('fails a step that runs past --command-timeout', async () => {
    const r = await runCli(['build', fixture('slow'), '--working-dir', workDir(), '--command-timeout', '0.05', '--run-id', 'ittimeout01']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Step failed: sleeps[\s\S]*Command timed out/);
    expect(await leftovers('ittimeout01')).toEqual([]);
  });

  it('shows the services\' last output when a step fails', async () => {
    const r = await runCli(['build', fixture('service-logs'), '--working-dir', workDir()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('chatty is at /wercker-pipeline-');
    expect(r.stdout).toMatch(/Last output of service chatty:\n\s+service-says-hello/);
  });

  it('masks protected values in the log of a service that never got ready', async () => {
    const r = await runCli(['build', fixture('service-secret-log'), '--working-dir', workDir(), '--json'], { env: { XXX_API_TOKEN: 'tok-svc-71c3e9a2' } });
    expect(r.code).toBe(1);
    const failed = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.type === 'service.failed');
    expect(failed).toMatchObject({ name: 'leaky' });
    expect(failed.logs).toContain('SERVICE_TOKEN=***');
    expect(r.stdout + r.stderr).not.toContain('tok-svc-71c3e9a2');
  });

  it('removes what a killed run left behind on the next run', async () => {
    const wd = workDir();
    const { child, done } = spawnCli(['build', fixture('slow'), '--working-dir', wd, '--run-id', 'itcrash01']);
    await new Promise<void>((resolve) => child.stdout!.on('data', (c: Buffer) => c.toString().includes('started-sleeping') && resolve()));
    child.kill('SIGKILL');
    await done;
    expect((await leftovers('itcrash01')).length).toBeGreaterThan(0);
    const next = await runCli(['build', fixture('sh-fallback'), '--working-dir', wd]);
    expect(next.code).toBe(0);
    expect(await leftovers('itcrash01')).toEqual([]);
  });

  it('says what to do when no engine answers, with exit 3', async () => {
    const r = await runCli(['build', fixture('sh-fallback'), '--working-dir', workDir()], { env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no Docker engine answers at tcp:\/\/127\.0\.0\.1:1[\s\S]*hint: /);
  });

  it('stops cleanly on SIGINT during a step: exit 130 and nothing left behind', async () => {
    const { child, done } = spawnCli(['build', fixture('slow'), '--working-dir', workDir(), '--run-id', 'itsigint01']);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the step never started')), 120_000);
      child.stdout!.on('data', (c: Buffer) => {
        if (c.toString().includes('started-sleeping')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stdout).toMatch(/Pipeline cancelled/);
    expect(await leftovers('itsigint01')).toEqual([]);
  });
});
