import { existsSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { fixture, runCli } from '../helpers/cli.ts';
import { requireDocker, runLeftovers } from '../helpers/docker.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// wercker behaviours earlier sessions saw werker do otherwise and left (docs/wercker-compat.md),
// each run as a user runs it: the CLI in a child process on the real engine.
const docker: DockerRuntime | undefined = await requireDocker();
const tmp = tempDirs('werker-leftovers');

const leftovers = (runId: string): Promise<string[]> => runLeftovers(docker!, runId);

function project(yml: string): string {
  const dir = tmp();
  writeFileSync(path.join(dir, 'wercker.yml'), yml);
  return dir;
}

describe.skipIf(!docker)('§1, §4.10 latest after a failed artifact store', () => {
  it('a store that fails part way leaves no output in the run: a deploy never takes a half-stored output', async () => {
    const wd = tmp();
    const good = await runCli(['build', fixture('build-deploy'), '--working-dir', wd, '--artifacts', '--run-id', 'cllgood', '--git-commit', 'good001']);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    // A directory where the run's output.tar goes: its store fails after the output was copied out.
    mkdirSync(path.join(wd, 'builds/cllbad/output.tar'), { recursive: true });
    const bad = await runCli(['build', fixture('build-deploy'), '--working-dir', wd, '--artifacts', '--run-id', 'cllbad', '--git-commit', 'bad0002']);
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stdout).toContain('Storing artifacts failed');
    // latest is the last build (§1), but nothing of its output is there to be taken.
    expect(readlinkSync(path.join(wd, 'latest'))).toBe(path.join('builds', 'cllbad'));
    expect(existsSync(path.join(wd, 'builds/cllbad/output'))).toBe(false);
    expect(existsSync(path.join(wd, 'builds/cllbad/output.partial'))).toBe(false);
    expect(existsSync(path.join(wd, 'builds/cllbad/run.json'))).toBe(false);
    // The deploy takes the current directory, as after any build that stored no output (§4.10).
    const deploy = await runCli(['deploy', '--working-dir', wd, '--run-id', 'clldeploy'], { cwd: fixture('build-deploy') });
    expect(deploy.stderr).not.toContain('using recent build output');
    expect(deploy.stdout).not.toContain('artifact of bad0002');
    expect(await leftovers('cllbad')).toEqual([]);
  });
});
