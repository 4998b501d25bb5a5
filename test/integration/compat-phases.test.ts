import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { requireDocker } from '../helpers/docker.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// What a run prints around its steps, in wercker's words (docs/wercker-compat.md §4.1),
// on the real engine through the CLI.
const docker = await requireDocker();
const temp = tempDirs('werker-phases');

/** A project dir holding this wercker.yml. */
function project(yml: string): string {
  const dir = temp();
  writeFileSync(path.join(dir, 'wercker.yml'), yml);
  return dir;
}

describe.skipIf(!docker)('§4.1 the setup is wercker\'s `setup environment` step', () => {
  it('names the setup before the image line and says it passed before the first step', async () => {
    const dir = project('box: werker-test/busybox\nbuild:\n  steps:\n    - script: {name: hello, code: echo hello}\n');
    const r = await runCli(['build', dir, '--working-dir', temp()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^--> build: box werker-test\/busybox:latest \(run \w+\)\n--> Running step: setup environment\n {4}image werker-test\/busybox:latest (present|pulled in [\d.]+s)\nStep passed: setup environment \([\d.]+s\)\n--> Running step: wercker-init\n/);
  });

  it('a setup that fails is a failed step of that name, and no step runs', async () => {
    const dir = project('box: werker-test/no-such-image\nbuild:\n  steps:\n    - script: {code: echo not reached}\n');
    const r = await runCli(['build', dir, '--working-dir', temp(), '--docker-local']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/--> Running step: setup environment\nStep failed: setup environment \([\d.]+s\)\n/);
    expect(r.stdout).not.toContain('not reached');
    expect(r.stdout).not.toContain('Running step: wercker-init');
    expect(r.stdout).toContain('error: image werker-test/no-such-image:latest is not on the engine');
  });
});
