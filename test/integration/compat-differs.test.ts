import { existsSync, mkdirSync, readFileSync, readlinkSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { fixture, runCli, spawnCli } from '../helpers/cli.ts';
import { containersMentioning, dockerCli, requireDocker } from '../helpers/docker.ts';
import { removeLeftovers } from '../../src/engine/cleanup.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// wercker behaviours that werker used to do otherwise (docs/wercker-compat.md, "differs" rows),
// each run as a user runs it: the CLI in a child process on the real engine.
const docker: DockerRuntime | undefined = await requireDocker();
const workDir = tempDirs('werker-compat');

describe.skipIf(!docker)('wercker behaviours that used to differ', () => {
  it('§3.4: a sync copies the shell env into the pipeline env, which the after-steps export again', async () => {
    const r = await runCli(['build', fixture('compat-sync'), '--working-dir', workDir()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('after-step sees FOO=from-step');
  });

  it('§1: latest moves on every build, with or without --artifacts; old run dirs beyond the two newest are pruned at start', async () => {
    const wd = workDir();
    const first = await runCli(['build', fixture('sh-fallback'), '--working-dir', wd, '--artifacts', '--run-id', 'cmpfirst']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(readlinkSync(path.join(wd, 'latest'))).toBe(path.join('builds', 'cmpfirst'));
    const dayAgo = Date.now() / 1000 - 24 * 3600;
    for (const [name, days] of [['old1', 2], ['old2', 3], ['old3', 4]] as const) {
      mkdirSync(path.join(wd, 'builds', name));
      utimesSync(path.join(wd, 'builds', name), dayAgo - days * 3600, dayAgo - days * 3600);
    }
    const second = await runCli(['build', fixture('sh-fallback'), '--working-dir', wd, '--run-id', 'cmpsecond']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(readlinkSync(path.join(wd, 'latest'))).toBe(path.join('builds', 'cmpsecond'));
    // The two newest at start (cmpfirst, old1) stay; the older ones, over a day old, are gone.
    expect(readdirSync(path.join(wd, 'builds')).sort()).toEqual(['cmpfirst', 'old1']);
  });

  it('§1: a deploy moves latest_deploy only; after a build without --artifacts, deploy no longer takes an older build\'s output', async () => {
    const wd = workDir();
    const built = await runCli(['build', fixture('build-deploy'), '--working-dir', wd, '--artifacts', '--run-id', 'cmpdb1', '--git-commit', 'old0001']);
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const deployed = await runCli(['deploy', path.join(wd, 'builds', 'cmpdb1'), '--working-dir', wd, '--run-id', 'cmpdeploy']);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    expect(readlinkSync(path.join(wd, 'latest_deploy'))).toBe(path.join('builds', 'cmpdeploy'));
    expect(readlinkSync(path.join(wd, 'latest'))).toBe(path.join('builds', 'cmpdb1'));
    const rebuilt = await runCli(['build', fixture('build-deploy'), '--working-dir', wd, '--run-id', 'cmpdb2', '--git-commit', 'new0002']);
    expect(rebuilt.code, rebuilt.stdout + rebuilt.stderr).toBe(0);
    // No latest/output now: deploy takes the current directory (here the project, which has no app.txt).
    const again = await runCli(['deploy', '--working-dir', wd], { cwd: fixture('build-deploy') });
    expect(again.stderr).not.toContain('using recent build output');
    expect(again.stdout).not.toContain('artifact of old0001');
  });

  it('§4.10: with --artifacts, what a step leaves in $WERCKER_REPORT_ARTIFACTS_DIR is kept beside output/', async () => {
    const wd = workDir();
    const r = await runCli(['build', fixture('compat-report-artifacts'), '--working-dir', wd, '--artifacts', '--run-id', 'cmpreport']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const kept = path.join(wd, 'builds', 'cmpreport', 'artifacts');
    const steps = readdirSync(kept);
    expect(steps).toHaveLength(1);
    expect(readFileSync(path.join(kept, steps[0]!, 'results.xml'), 'utf8')).toBe('junit says ok\n');
  });

  it('§2.4: the box repository is lower-cased for pulls (werker-test/BusyBox runs)', async () => {
    const r = await runCli(['build', fixture('compat-upper-box'), '--working-dir', workDir()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('ran in busybox');
  });

  it('§4.10: --commit REPO --tag --message commits the box after the steps, without werker\'s own files', async () => {
    const repo = `werker-compat/commit${process.pid}`;
    try {
      const r = await runCli(['build', fixture('compat-commit'), '--working-dir', workDir(), '--run-id', 'cmpcommit', '--commit', repo, '--tag', 'rel/1', '--message', 'from the test']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`committed the box as ${repo}:rel_1`);
      expect(dockerCli(['image', 'inspect', '--format', '{{.Comment}}', `${repo}:rel_1`]).trim()).toBe('from the test');
      const files = dockerCli(['run', '--rm', `${repo}:rel_1`, 'sh', '-c', 'cat /made-by-step; find /pipeline /report -type f']);
      expect(files).toContain('made by a step');
      expect(files).toContain('/pipeline/source/wercker.yml');
      expect(files).not.toMatch(/run\.sh|init\.sh|\/report\/./);
    } finally {
      dockerCli(['image', 'rm', '-f', `${repo}:rel_1`], true);
    }
  });

  it('§8.4: a step with checkpoint: N commits the box as <repo>:w-N; --checkpoint N runs that box and skips up to N', async () => {
    const wd = workDir();
    try {
      const first = await runCli(['build', fixture('compat-checkpoint'), '--working-dir', wd]);
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(first.stdout).toContain('first ran');
      expect(first.stdout).toContain('Checkpoint cmpcheck: committed the box as werker-test/busybox:w-cmpcheck');
      const again = await runCli(['build', fixture('compat-checkpoint'), '--working-dir', wd, '--checkpoint', 'cmpcheck']);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toContain('werker-test/busybox:w-cmpcheck');
      expect(again.stdout).toContain('Step passed: wercker-init');
      expect(again.stdout).not.toContain('first ran');
      expect(again.stdout).toContain('second ran; box has: from the first step');
    } finally {
      dockerCli(['image', 'rm', '-f', 'werker-test/busybox:w-cmpcheck'], true);
    }
  });
  it('§5.2: with --docker-memory, the services share a quarter of it and the box gets three quarters', async () => {
    const runId = 'cmpmemory';
    // Inspected while the run holds its step open: a --no-remove run's containers may be taken
    // for leftovers by another run starting on the shared engine.
    const { child, done } = spawnCli(['build', fixture('compat-service-memory'), '--working-dir', workDir(), '--run-id', runId, '--docker-memory', '256']);
    await new Promise<void>((resolve) => child.stdout!.on('data', (c: Buffer) => c.toString().includes('inspect me now') && resolve()));
    const memory = (name: string) => Number(dockerCli(['inspect', '--format', '{{.HostConfig.Memory}}', name]).trim());
    const services = dockerCli(['ps', '--filter', `label=werker.run=${runId}`, '--filter', 'name=wercker-service-', '--format', '{{.Names}}']).trim().split('\n');
    expect(services).toHaveLength(2);
    for (const s of services) expect(memory(s)).toBe(32 * 1024 * 1024);
    expect(memory(`wercker-pipeline-${runId}`)).toBe(192 * 1024 * 1024);
    const r = await done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('§5.4: a service that exits non-zero has its output shown once, though the steps pass', async () => {
    const r = await runCli(['build', fixture('compat-service-exit'), '--working-dir', workDir()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('steps done');
    expect(r.stdout).toContain('service dying exited with code 3');
    expect(r.stdout.split('service-dying-message')).toHaveLength(2);
  });

  it('§6.3: the image docker-build made is removed with the run, and kept with --no-remove', async () => {
    const removed = await runCli(['build', fixture('compat-build-image'), '--working-dir', workDir(), '--run-id', 'cmpbuild1']);
    expect(removed.code, removed.stdout + removed.stderr).toBe(0);
    expect(removed.stdout).toContain('Built cmpbuild1probe');
    expect(dockerCli(['images', '-q', 'cmpbuild1probe']).trim()).toBe('');
    try {
      const kept = await runCli(['build', fixture('compat-build-image'), '--working-dir', workDir(), '--run-id', 'cmpbuild2', '--no-remove']);
      expect(kept.code, kept.stdout + kept.stderr).toBe(0);
      expect(dockerCli(['images', '-q', 'cmpbuild2probe']).trim()).not.toBe('');
    } finally {
      await removeLeftovers(docker!, { runId: 'cmpbuild2' });
      // --no-remove keeps the build's intermediate containers too (§6.3): the CMD line's, unlabelled.
      for (const id of containersMentioning('built by the step')) dockerCli(['rm', '-f', id], true);
      dockerCli(['image', 'rm', '-f', 'cmpbuild2probe'], true);
    }
  });
});
