import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { cliOnTerminal, fixture, runCli } from '../helpers/cli.ts';
import { requireDocker, runLeftovers } from '../helpers/docker.ts';
import { tempDirs, writeTree } from '../helpers/temp-dirs.ts';
import { REGISTRY } from '../helpers/registry.ts';
import { snapshotKey, snapshotRef } from '../../src/engine/snapshot-record.ts';
import { removeLeftovers } from '../../src/engine/cleanup.ts';

// wercker behaviours earlier sessions saw werker do otherwise and left (docs/wercker-compat.md),
// each run as a user runs it: the CLI in a child process on the real engine.
const docker: DockerRuntime | undefined = await requireDocker();
const tmp = tempDirs('werker-leftovers');

const leftovers = (runId: string): Promise<string[]> => runLeftovers(docker!, runId);

const project = (yml: string): string => writeTree(tmp(), { 'wercker.yml': yml });

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

const AFTER_FAILS = `box: werker-test/busybox
build:
  steps:
    - script:
        name: main
        code: mkdir -p sub && echo "main passed"
  after-steps:
    - script:
        name: breaks
        cwd: sub
        code: |
          export AFTER_VAR=from-after
          false
    - script:
        name: not-reached
        code: echo "NOT REACHED"
`;

describe.skipIf(!docker)('§4.7 --attach-on-error / --shell-on-failure after a failed after-step', () => {
  it.each(['--attach-on-error', '--shell-on-failure'])('%s opens the shell where the after-step failed, with its env; exit goes on to the cleanup, exit 0', async (flag) => {
    const runId = `cllafter${flag.length}`;
    const r = await cliOnTerminal(['build', project(AFTER_FAILS), '--working-dir', tmp(), flag, '--no-snapshot', '--run-id', runId], 'leave it (exit or Ctrl-D)', [
      'echo "shell at=$(pwd) v=$AFTER_VAR result=$WERCKER_RESULT"\r', 'exit\r',
    ]);
    expect(r.screen).toMatch(/step breaks failed with exit code 1: a shell in the box in \/pipeline\/source\/sub[^\n]*to go on with the cleanup/);
    expect(r.screen).toContain('shell at=/pipeline/source/sub v=from-after result=passed');
    expect(r.screen).toContain('the shell exited with status 0; going on');
    expect(r.screen).not.toContain('NOT REACHED');
    // After-step failures do not change the exit code (§4.7).
    expect(r.code, r.screen).toBe(0);
    expect(await leftovers(runId)).toEqual([]);
  });
});

const WORKFLOW_PROJECT = `box: werker-test/busybox
build:
  steps:
    - script:
        name: build
        code: |
          echo "building app=$WERCKER_APPLICATION_NAME"
          echo "built from $(cat app.txt)" > "$WERCKER_OUTPUT_DIR/built.txt"
ship:
  steps:
    - script:
        name: ship
        code: echo "shipping $(cat built.txt)"
workflows:
  - name: release
    pipelines:
      - name: build
      - name: ship
        requires: [build]
`;

describe.skipIf(!docker)('§4.11, §8 werker workflow NAME URL', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    // The project's tarball, made by tar as a user would, served over HTTP on loopback.
    const made = tmp();
    mkdirSync(path.join(made, 'shop-9f8e7d'));
    writeFileSync(path.join(made, 'shop-9f8e7d', 'wercker.yml'), WORKFLOW_PROJECT);
    writeFileSync(path.join(made, 'shop-9f8e7d', 'app.txt'), 'the tarball');
    execFileSync('tar', ['-czf', path.join(made, 'shop.tar.gz'), '-C', made, 'shop-9f8e7d']);
    server = createServer((req, res) => {
      if (req.url !== '/releases/shop.tar.gz') {
        res.statusCode = 404;
        res.end('not found');
        return;
      }
      res.end(readFileSync(path.join(made, 'shop.tar.gz')));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server?.closeAllConnections();
    return new Promise((resolve) => server?.close(resolve));
  });

  it('downloads the tarball and runs the workflow on it, as build, dev and deploy take a URL', async () => {
    const wd = tmp();
    const r = await runCli(['workflow', 'release', `${base}/releases/shop.tar.gz`, '--working-dir', wd], { cwd: tmp() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain(`Downloading the project from ${base}/releases/shop.tar.gz`);
    expect(r.stdout).toContain('building app=shop');
    expect(r.stdout).toContain('shipping built from the tarball');
    expect(readdirSync(path.join(wd, 'projects'))).toEqual(['shop']);
  });

  it('a URL that answers 404 fails with exit 1 and says what to check', async () => {
    const wd = path.join(tmp(), 'wd');
    const r = await runCli(['workflow', 'release', `${base}/releases/gone.tar.gz`, '--working-dir', wd], { cwd: tmp() });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`could not download the project from ${base}/releases/gone.tar.gz: HTTP 404 Not Found`);
    expect(existsSync(wd)).toBe(false);
  });
});

const FAILS_AT_TWO = `box: werker-test/busybox
build:
  steps:
    - script:
        name: one
        code: export MADE="$WERCKER_ROOT/made" && echo built > "$MADE"
    - script:
        name: two
        code: test -f fixed.txt
`;

describe.skipIf(!docker)('§8.4 --resume under other guest roots', () => {
  it('is refused with exit 2, naming the failed run\'s --guest-root to resume with, before anything starts', async () => {
    const dir = project(FAILS_AT_TWO);
    const wd = tmp();
    const snapshot = snapshotRef(snapshotKey({ projectDir: dir, pipeline: 'build', options: {} } as never));
    try {
      const failed = await runCli(['build', dir, '--working-dir', wd, '--run-id', 'cllsnap1']);
      expect(failed.code, failed.stdout + failed.stderr).toBe(1);
      expect(failed.stdout).toContain('kept a snapshot of the box');
      writeFileSync(path.join(dir, 'fixed.txt'), 'fixed\n');
      const r = await runCli(['build', dir, '--working-dir', wd, '--resume', '--guest-root', '/build', '--run-id', 'cllsnap2']);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain('run cllsnap1 failed with --guest-root /pipeline, this run asks for /build');
      expect(r.stderr).toContain('hint: resume with --guest-root /pipeline, or run the pipeline from the start');
      expect(r.stdout).not.toContain('Resuming from the snapshot');
      expect(await leftovers('cllsnap2')).toEqual([]);
      // Under the failed run's root it resumes.
      const same = await runCli(['build', dir, '--working-dir', wd, '--resume', '--guest-root', '/pipeline', '--run-id', 'cllsnap3']);
      expect(same.code, same.stdout + same.stderr).toBe(0);
      expect(same.stdout).toContain('Resuming from the snapshot of run cllsnap1: skipping one');
    } finally {
      await docker!.removeImage(snapshot).catch(() => undefined);
    }
  });
});

const PUSH_REFUSED = `box: werker-test/busybox
build:
  steps:
    - script:
        name: make
        code: echo made > /made.txt
    - internal/docker-push:
        repository: ${REGISTRY.host}/werker-leftovers/refused
        tag: t1, t2
        username: ${REGISTRY.username}
        password: not-the-password
`;

describe.skipIf(!docker)('§6.1 a docker-push the registry refuses', () => {
  const repo = `${REGISTRY.host}/werker-leftovers/refused`;
  const exists = (ref: string) => docker!.inspectImage(ref).then(() => true, () => false);

  it('fails the step and removes the image it committed from the engine; --no-remove keeps it', async () => {
    try {
      const r = await runCli(['build', project(PUSH_REFUSED), '--working-dir', tmp(), '--no-snapshot', '--run-id', 'cllpush1']);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain(`committed the box as ${repo}:t1`);
      expect(r.stdout).toContain(`removed ${repo}:t1 from the engine (not pushed; --no-remove keeps it)`);
      expect(r.stdout).not.toContain('not-the-password');
      expect(await exists(`${repo}:t1`)).toBe(false);
      expect(await exists(`${repo}:t2`)).toBe(false);
      expect(await leftovers('cllpush1')).toEqual([]);
      const kept = await runCli(['build', project(PUSH_REFUSED), '--working-dir', tmp(), '--no-snapshot', '--no-remove', '--run-id', 'cllpush2']);
      expect(kept.code, kept.stdout + kept.stderr).toBe(1);
      expect(kept.stdout).not.toContain(`removed ${repo}`);
      expect(await exists(`${repo}:t1`)).toBe(true);
    } finally {
      for (const tag of ['t1', 't2']) await docker!.removeImage(`${repo}:${tag}`).catch(() => undefined);
      // --no-remove kept the run's box and network too.
      await removeLeftovers(docker!, { runId: 'cllpush2' }).catch(() => undefined);
    }
  });
});
