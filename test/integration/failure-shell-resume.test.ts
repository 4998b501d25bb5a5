import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { SNAPSHOT_LABEL, readSnapshotLabels, snapshotKey, snapshotRef } from '../../src/engine/snapshot-record.ts';
import { cliOnTerminal, runCli, type TerminalRun } from '../helpers/cli.ts';
import { requireDocker } from '../helpers/docker.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// A shell where a step failed, and resuming from the failed box's snapshot
// (docs/wercker-compat.md §8.4, werker's own), on the real engine, the CLI run as a user runs it.
const docker: DockerRuntime | undefined = await requireDocker();
const tmp = tempDirs('werker-resume');
const SECRET = 'tok-5f1e9a';

const BROKEN = `box: werker-test/busybox
build:
  steps:
    - script:
        name: one
        code: |
          export EARLIER=from-one
          export DERIVED="key-$TOKEN"
          echo built > /tmp/marker-one
          echo "one ran"
    - script:
        name: two
        cwd: sub
        code: |
          export STEP_VAR=hello
          echo "two starts in $(pwd)"
          test -f fixed.txt
          echo "two sees EARLIER=$EARLIER marker=$(cat /tmp/marker-one)"
          [ "$DERIVED" = "key-$TOKEN" ] && echo derived-ok
    - script:
        name: three
        code: echo "three ran"
  after-steps:
    - script:
        name: after
        code: echo "after-step ran with WERCKER_RESULT=$WERCKER_RESULT"
`;

function project(yml = BROKEN): string {
  const dir = tmp();
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'sub', 'keep.txt'), 'source\n');
  writeFileSync(path.join(dir, 'wercker.yml'), yml);
  return dir;
}

const env = { XXX_TOKEN: SECRET };

/** The CLI on a terminal with the run's secret in its env; also how long werker took from the failure to the shell's prompt. */
async function onTerminal(args: string[], ready: string, keys: string[]): Promise<TerminalRun & { promptMs: number }> {
  let failedAt = 0;
  let promptAt = 0;
  const run = await cliOnTerminal(args, ready, keys, {
    env,
    onScreen: (screen) => {
      if (!failedAt && screen.includes('Step failed')) failedAt = Date.now();
      // The shell's prompt (busybox sh: `/pipeline/source/sub # `) after werker's banner.
      // (busybox's line editing may follow it with a cursor query, so not at the very end.)
      if (!promptAt && /leave it \(exit or Ctrl-D\)[^]*\n[^\n]*[#$] /.test(screen)) promptAt = Date.now();
    },
  });
  return { ...run, promptMs: promptAt - failedAt };
}

describe.skipIf(!docker)('a shell in the failed step, and --resume (§8.4)', () => {
  it('--shell-on-failure opens a shell in the failed step\'s dir with its env (hidden values there, never printed); Ctrl-C ends a command; exit goes on to the after-steps', async () => {
    const dir = project();
    const wd = tmp();
    const r = await onTerminal(['build', dir, '--working-dir', wd, '--shell-on-failure', '--no-snapshot', '--run-id', 'shellfail'], 'leave it (exit or Ctrl-D)', [
      'sleep 30\r', '\x03', 'echo "at=$(pwd) v=$STEP_VAR e=$EARLIER step=$WERCKER_STEP_NAME len=${#TOKEN}"\r', 'exit\r',
    ]);
    expect(r.code, r.screen).toBe(1);
    expect(r.screen).toMatch(/step two failed with exit code 1: a shell in the box in \/pipeline\/source\/sub/);
    expect(r.screen).toContain(`at=/pipeline/source/sub v=hello e=from-one step=script len=${SECRET.length}`);
    expect(r.screen).toContain('the shell exited with status 0; going on');
    expect(r.promptMs).toBeGreaterThan(0);
    expect(r.screen).toContain('after-step ran with WERCKER_RESULT=failed');
    expect(r.screen).not.toContain(SECRET);
    // Ctrl-C stopped `sleep 30` at once: the commands typed after it ran, and the run ended, well before.
    expect(r.typedToEndMs).toBeLessThan(20_000);
    // Nothing left: the box, its exec and the network went with the run.
    const left = await docker!.listLabelled('werker.run', 'shellfail');
    expect([...left.containers, ...left.networks]).toEqual([]);
    console.log(`shell on failure: ${r.promptMs} ms from "Step failed" to the shell's prompt`);
  });

  it('says so when the box has no shell left to open', async () => {
    const yml = `box: werker-test/busybox
build:
  steps:
    - script:
        name: removes the shell
        code: |
          set +e
          /bin/busybox rm -f /bin/sh
          return 3
`;
    const r = await onTerminal(['build', project(yml), '--working-dir', tmp(), '--shell-on-failure', '--no-snapshot'], 'has no shell to open', []);
    expect(r.code, r.screen).toBe(1);
    expect(r.screen).toContain('--shell-on-failure: the box werker-test/busybox:latest has no shell to open (no /bin/sh)');
  });

  it('without a terminal, --shell-on-failure says so and the run ends as before', async () => {
    const r = await runCli(['build', project(), '--working-dir', tmp(), '--shell-on-failure', '--no-snapshot'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('--shell-on-failure needs a terminal');
    expect(r.stdout).toContain('after-step ran with WERCKER_RESULT=failed');
  });

  it('wercker\'s --attach-on-error opens the same shell after a failed step (§4.7): the step\'s dir and env; exit goes on to the after-steps', async () => {
    const r = await onTerminal(['build', project(), '--working-dir', tmp(), '--attach-on-error', '--no-snapshot', '--run-id', 'attachfail'], 'leave it (exit or Ctrl-D)', [
      'echo "attached at=$(pwd) v=$STEP_VAR e=$EARLIER"\r', 'exit\r',
    ]);
    expect(r.code, r.screen).toBe(1);
    expect(r.screen).toMatch(/step two failed with exit code 1: a shell in the box in \/pipeline\/source\/sub/);
    expect(r.screen).toContain('attached at=/pipeline/source/sub v=hello e=from-one');
    expect(r.screen).toContain('the shell exited with status 0; going on');
    expect(r.screen).toContain('after-step ran with WERCKER_RESULT=failed');
    const left = await docker!.listLabelled('werker.run', 'attachfail');
    expect([...left.containers, ...left.networks]).toEqual([]);
  });

  it('without a terminal, --attach-on-error says so and the run goes on without waiting (CI)', async () => {
    const started = Date.now();
    const r = await runCli(['build', project(), '--working-dir', tmp(), '--attach-on-error=true', '--no-snapshot'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('--attach-on-error needs a terminal: werker\'s input or output is not a TTY');
    expect(r.stdout).toContain('after-step ran with WERCKER_RESULT=failed');
    expect(Date.now() - started).toBeLessThan(120_000);
  });

  it('keeps a snapshot of the failed box; --resume skips the passed steps, sees their exports, and takes the current source', async () => {
    const dir = project();
    const wd = tmp();
    const failed = await runCli(['build', dir, '--working-dir', wd, '--run-id', 'resume1'], { env });
    expect(failed.code, failed.stdout + failed.stderr).toBe(1);
    expect(failed.stdout).toContain('kept a snapshot of the box');
    const key = snapshotKey({ projectDir: dir, pipeline: 'build', options: {} } as never);
    const image = await docker!.inspectImage(snapshotRef(key));
    const info = readSnapshotLabels(image.labels)!;
    expect(info).toMatchObject({ run: 'resume1', step: 'two', stepIndex: 2, project: dir, pipeline: 'build' });
    expect(info.ymlHash).toMatch(/^[0-9a-f]{16}$/);
    expect(info.sourceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(image.labels)).not.toContain(SECRET);

    writeFileSync(path.join(dir, 'sub', 'fixed.txt'), 'fixed\n');
    const started = Date.now();
    const resumed = await runCli(['build', dir, '--working-dir', wd, '--resume', '--run-id', 'resume2'], { env });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('Resuming from the snapshot of run resume1: skipping one');
    expect(resumed.stdout).not.toContain('one ran');
    expect(resumed.stdout).toContain('two sees EARLIER=from-one marker=built');
    expect(resumed.stdout).toContain('derived-ok');
    expect(resumed.stdout).toContain('three ran');
    expect(resumed.stdout).not.toContain(SECRET);
    console.log(`resumed run: ${Date.now() - started} ms`);
  });

  it('refuses to resume when a step before the failed one changed, or with no snapshot; --from-step picks the step', async () => {
    const dir = project();
    const wd = tmp();
    expect((await runCli(['build', dir, '--working-dir', wd, '--resume'], { env })).stderr).toContain('no snapshot to resume the build pipeline');
    expect((await runCli(['build', dir, '--working-dir', wd], { env })).code).toBe(1);
    writeFileSync(path.join(dir, 'wercker.yml'), BROKEN.replace('export EARLIER=from-one', 'export EARLIER=changed'));
    const refused = await runCli(['build', dir, '--working-dir', wd, '--resume'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('step one (before two) changed in the wercker.yml since the snapshot');
    // From step one, nothing before it is in question: it runs again (in the failed box).
    writeFileSync(path.join(dir, 'sub', 'fixed.txt'), 'fixed\n');
    const fromOne = await runCli(['build', dir, '--working-dir', wd, '--from-step', 'one'], { env });
    expect(fromOne.code, fromOne.stdout + fromOne.stderr).toBe(0);
    expect(fromOne.stdout).toContain('one ran');
    expect(fromOne.stdout).toContain('two sees EARLIER=changed');
  });

  it('keeps one snapshot per project and pipeline, and `werker cleanup` removes them', async () => {
    const dir = project();
    const wd = tmp();
    for (const id of ['bound1', 'bound2']) expect((await runCli(['build', dir, '--working-dir', wd, '--run-id', id], { env })).code).toBe(1);
    const key = snapshotKey({ projectDir: dir, pipeline: 'build', options: {} } as never);
    const mine = await docker!.listImages(`${SNAPSHOT_LABEL}=${key}`);
    expect(mine.map((i) => readSnapshotLabels(i.labels)?.run)).toEqual(['bound2']);
    const cleaned = await runCli(['cleanup']);
    expect(cleaned.stdout).toContain(`removed snapshot ${snapshotRef(key)}`);
    expect(await docker!.listImages(`${SNAPSHOT_LABEL}=${key}`)).toEqual([]);
  });
});
