import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp-dirs.ts';
import { fixture, runCli } from '../helpers/cli.ts';
import { requireDocker } from '../helpers/docker.ts';

const docker = await requireDocker();
const workDir = tempDirs('werker-deploy');

describe.skipIf(!docker)('werker deploy and werker workflow', () => {
  it('deploys the latest build\'s output, with the build\'s commit, and a deploy target\'s steps', async () => {
    const wd = workDir();
    const build = await runCli(['build', fixture('build-deploy'), '--working-dir', wd, '--artifacts', '--git-commit', 'abc1234']);
    expect(build.code, build.stdout + build.stderr).toBe(0);
    const deploy = await runCli(['deploy', '--working-dir', wd], { cwd: tmpdir() });
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain('No target specified, using recent build output.');
    expect(deploy.stdout).toContain('artifact of abc1234');
    expect(deploy.stdout).toContain('DEPLOY=true commit=abc1234');
    const target = await runCli(['deploy', '--working-dir', wd, '--deploy-target', 'production'], { cwd: tmpdir() });
    expect(target.code, target.stdout + target.stderr).toBe(0);
    expect(target.stdout).toContain('production target production gets artifact of abc1234');
  });

  it('runs a workflow, each pipeline on the output of the one it requires', async () => {
    const wd = workDir();
    const r = await runCli(['workflow', 'ship', fixture('build-deploy'), '--working-dir', wd, '--git-commit', 'feed001']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('testing artifact of feed001');
    expect(r.stdout).toContain('tested artifact of feed001');
    expect(r.stdout).toContain('DEPLOY=true commit=feed001');
    expect(r.stderr).toMatch(/workflow ship: pipeline build[\s\S]*pipeline test[\s\S]*pipeline release \(deploy\)/);
  });

  it('names the workflows when the one asked for does not exist', async () => {
    const r = await runCli(['workflow', 'nope', fixture('build-deploy'), '--working-dir', workDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/No workflow named nope[\s\S]*workflows in .*: ship/);
  });
});
