import { existsSync, mkdirSync, readFileSync, readlinkSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { fixture, runCli } from '../helpers/cli.ts';
import { requireDocker } from '../helpers/docker.ts';
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
});
