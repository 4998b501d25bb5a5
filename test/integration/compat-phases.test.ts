import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { requireDocker } from '../helpers/docker.ts';
import { tempDirs, writeTree } from '../helpers/temp-dirs.ts';

// What a run prints around its steps, in wercker's words (docs/wercker-compat.md §4.1, §4.10),
// on the real engine through the CLI.
const docker = await requireDocker();
const temp = tempDirs('werker-phases');

/** A project dir holding this wercker.yml. */
const project = (yml: string): string => writeTree(temp(), { 'wercker.yml': yml });

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

describe.skipIf(!docker)('§4.10 the stored files are listed', () => {
  it('lists the output\'s files in the store step, dependency dirs as "content omitted", at most 100 lines and how many more', async () => {
    const dir = project([
      'box: werker-test/busybox',
      'build:',
      '  steps:',
      '    - script:',
      '        name: make output',
      '        code: |',
      '          cd "$WERCKER_OUTPUT_DIR"',
      '          mkdir -p app/node_modules/left-pad .git many',
      '          echo x > app/index.js; echo y > app/node_modules/left-pad/index.js; echo z > .git/HEAD',
      '          for i in $(seq 1 150); do echo $i > many/file-$(printf %03d $i); done',
    ].join('\n'));
    const r = await runCli(['build', dir, '--working-dir', temp(), '--artifacts']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const listing = r.stdout.slice(r.stdout.indexOf('Storing artifacts\n'), r.stdout.indexOf('--> Stored artifacts:'));
    const lines = listing.trimEnd().split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'Storing artifacts',
      'Collecting files from /pipeline/output',
      './.git/ (content omitted)',
      './app/index.js',
      './app/node_modules/ (content omitted)',
      './many/file-001',
    ]);
    expect(lines).toHaveLength(2 + 100 + 1);
    expect(lines.at(-2)).toBe('./many/file-097');
    expect(lines.at(-1)).toBe('… and 53 more');
    expect(r.stdout).toMatch(/--> Stored artifacts: 153 files, /);
  });
});
