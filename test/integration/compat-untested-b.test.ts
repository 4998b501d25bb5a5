import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { fixture, runCli } from '../helpers/cli.ts';
import { requireDocker, runLeftovers } from '../helpers/docker.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// Rows of docs/wercker-compat.md §4.1–§4.11 and §5 that had no test, each on the real engine
// through the CLI; several behaviours share one run where they fit (runs are slow).
const docker: DockerRuntime | undefined = await requireDocker();
const workDir = tempDirs('werker-untested-b');
const images: string[] = [];
afterAll(async () => {
  for (const i of images) await docker?.removeImage(i).catch(() => undefined);
});

const project = fixture('compat-untested-b');
const leftovers = (runId: string): Promise<string[]> => runLeftovers(docker!, runId);

/** Removes what a `--no-remove` run kept (its `werker.run` label): only this test's run. */
async function removeKept(runId: string): Promise<void> {
  const found = await docker!.listLabelled('werker.run', runId);
  await Promise.all(found.containers.map((c) => docker!.removeContainer(c.id, { force: true, volumes: true })));
  await Promise.all(found.networks.map((n) => docker!.removeNetwork(n.id)));
}

describe.skipIf(!docker)('§4.1–§4.7 one passing run with --commit and --artifacts', () => {
  it('opens the base path, keeps going in a registry step without set -e, has no get_option, commits before storing artifacts; a failing after-step prints its status and leaves exit 0', async () => {
    const repo = `werker-it/untested-b-${process.pid}`;
    images.push(`${repo}:t1`);
    const wd = workDir();
    const r = await runCli(['build', project, '--working-dir', wd, '--artifacts', '--commit', repo, '--tag', 't1', '--run-id', 'itub01']);
    // §4.7: the after-step failed, the exit code is the main steps' one.
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = r.stdout;
    // §4.3: base-path /root is drwx------ in the image; werker's chmod a+rx opens it.
    expect(out).toContain('base path mode 755');
    // §4.5: wercker-init and the script step before it turned set -e on; the registry step runs under set +e.
    expect(out).toContain('registry step went on after false');
    expect(out).toMatch(/Step passed: keep-going[\s\S]*the run went on/);
    // §4.6: the Go CLI's wercker-init had no get_option.
    expect(out).toContain('script step: no get_option');
    expect(out).toContain('registry step: no get_option');
    expect(out).not.toContain('HAS get_option');
    // §4.1: the box is committed before the artifacts are stored.
    const committed = out.indexOf(`committed the box as ${repo}:t1`);
    const storing = out.indexOf('Storing artifacts');
    expect(committed, out).toBeGreaterThan(-1);
    expect(storing, out).toBeGreaterThan(committed);
    expect(out.indexOf('Stored artifacts: 1 files')).toBeGreaterThan(storing);
    // The log lines are written after both; the image's creation time and the tar's show the order.
    const created = Date.parse((await docker!.docker.getImage(`${repo}:t1`).inspect()).Created);
    const stored = statSync(path.join(wd, 'builds/itub01/output.tar')).mtimeMs;
    expect(created, `image created ${created}, output.tar written ${stored}`).toBeLessThan(stored);
    // §4.4: a batch with status 3 is `Command exited with exit code: 3`; §4.8: it stops the after-steps.
    expect(out).toMatch(/After-step failed: return-three \([^)]*\)\n {4}Command exited with exit code: 3\n/);
    expect(out).toContain('after-steps see passed');
    expect(out).not.toContain('NOT REACHED');
    expect(out).toContain('Pipeline finished');
    expect(existsSync(path.join(wd, 'builds/itub01/output/made.txt'))).toBe(true);
    expect(await leftovers('itub01')).toEqual([]);
  });
});

describe.skipIf(!docker)('§4.7 a failed artifact store', () => {
  it('fails the run with exit 1, saying what failed and what to check, after the after-steps saw the run failed', async () => {
    const wd = workDir();
    // A directory where the output's tar file goes: storing cannot write it.
    mkdirSync(path.join(wd, 'builds/itub02/output.tar'), { recursive: true });
    const r = await runCli(['build', project, '--working-dir', wd, '--artifacts', '--run-id', 'itub02']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('Steps passed');
    expect(r.stdout).toContain('Pipeline failed');
    // §4.8: the after-steps still run, and see the run as failed.
    expect(r.stdout).toContain('after-steps see failed');
    expect(r.stdout).toMatch(/Storing artifacts failed: EISDIR[^\n]*output\.tar'\nPipeline failed/);
    expect(r.stdout).toContain(`hint: check that ${path.join(wd, 'builds/itub02')} can be written`);
    expect(await leftovers('itub02')).toEqual([]);
  });
});

describe.skipIf(!docker)('§4.11 werker workflow failures', () => {
  it('the first failing pipeline stops the workflow: Unable to run workflow: unable to run pipeline <p>: …, exit 1', async () => {
    const r = await runCli(['workflow', 'broken', project, '--working-dir', workDir(), '--no-snapshot']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/workflow broken: pipeline build[\s\S]*workflow broken: pipeline failing \(fails\)/);
    expect(r.stdout).toContain('failing on purpose');
    expect(r.stderr).toContain('Unable to run workflow: unable to run pipeline failing: exit code 1');
    expect(r.stderr).not.toContain('pipeline last');
    expect(r.stdout).not.toContain('NOT REACHED');
  });

  it('no name: Missing workflow name to run', async () => {
    const r = await runCli(['workflow', '--working-dir', workDir()], { cwd: project });
    expect(r.stderr).toContain('Missing workflow name to run');
    // werker's bad-usage exit code (README exit codes); wercker exited 1.
    expect(r.code).toBe(2);
  });
});

describe.skipIf(!docker)('§5.2 services', () => {
  it('the same image twice under different names, each its own alias and link variables; ports published with --expose-ports', async () => {
    try {
      const r = await runCli(['build', project, '--pipeline', 'services-twice', '--working-dir', workDir(), '--expose-ports', '--no-remove', '--run-id', 'itub03']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('alpha says: served by alpha');
      expect(r.stdout).toContain('beta says: served by beta');
      expect(r.stdout).toMatch(/ALPHA_PORT_8080_TCP_ADDR=\d+\.\d+\.\d+\.\d+\nBETA_PORT_8080_TCP_ADDR=\d+/);
      for (const name of ['alpha', 'beta']) {
        const raw = await docker!.docker.getContainer(`wercker-service-${name}-itub03`).inspect();
        expect(Object.keys(raw.Config.ExposedPorts ?? {})).toEqual(['8080/tcp']);
        const bound = raw.NetworkSettings.Ports['8080/tcp']?.[0];
        expect(bound?.HostIp).toBe('127.0.0.1');
        // Published: the host reaches the service on the port the engine chose.
        const res = await fetch(`http://127.0.0.1:${bound!.HostPort}/`);
        expect(await res.text()).toBe(`served by ${name}\n`);
      }
    } finally {
      await removeKept('itub03');
    }
  });

  it('without --expose-ports the ports are exposed only', async () => {
    try {
      const r = await runCli(['build', project, '--pipeline', 'services-twice', '--working-dir', workDir(), '--no-remove', '--run-id', 'itub04']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('alpha says: served by alpha');
      for (const name of ['alpha', 'beta']) {
        const raw = await docker!.docker.getContainer(`wercker-service-${name}-itub04`).inspect();
        expect(Object.keys(raw.Config.ExposedPorts ?? {})).toEqual(['8080/tcp']);
        expect(raw.HostConfig.PortBindings ?? {}).toEqual({});
        expect(raw.NetworkSettings.Ports['8080/tcp'] ?? null).toBeNull();
      }
    } finally {
      await removeKept('itub04');
    }
  });
});
