import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { requireDocker, runLeftovers } from '../helpers/docker.ts';
import { tempDirs, writeTree } from '../helpers/temp-dirs.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Where the run puts things in the box, and what it takes as the project (docs/wercker-compat.md
// §4.3, §8.3), on the real engine through the CLI.
const docker: DockerRuntime | undefined = await requireDocker();
const tmp = tempDirs('werker-guest');
const images: string[] = [];
afterAll(async () => {
  for (const i of images) await docker?.removeImage(i).catch(() => undefined);
});

const leftovers = (runId: string): Promise<string[]> => runLeftovers(docker!, runId);

const SHOW_PATHS = `box: werker-test/busybox
build:
  steps:
    - script:
        name: show
        code: |
          echo "pwd=$(pwd)"
          echo "root=$WERCKER_ROOT src=$WERCKER_SOURCE_DIR cache=$WERCKER_CACHE_DIR out=$WERCKER_OUTPUT_DIR pipe=$WERCKER_PIPELINE_DIR reportdir=$WERCKER_REPORT_DIR"
          echo "steproot=$WERCKER_STEP_ROOT"
          echo "message=$WERCKER_REPORT_MESSAGE_FILE artifacts=$WERCKER_REPORT_ARTIFACTS_DIR"
          echo "mounts: $(grep -o ' /wmnt/cache \\| /rep ' /proc/mounts | tr -d ' ' | sort | tr '\\n' ' ')"
          echo "defaults: $(ls -d /pipeline /mnt /report 2>/dev/null | wc -l)"
          echo "cache had=$(cat "$WERCKER_CACHE_DIR/count" 2>/dev/null || echo none)"
          echo $(( $(cat "$WERCKER_CACHE_DIR/count" 2>/dev/null || echo 0) + 1 )) > "$WERCKER_CACHE_DIR/count"
          echo built > "$WERCKER_OUTPUT_DIR/result.txt"
          echo report > "$WERCKER_REPORT_ARTIFACTS_DIR/r.txt"
          test -f Dockerfile && test -f "$WERCKER_STEP_ROOT/run.sh"
    - internal/docker-build:
        image-name: img
dev:
  steps:
    - script:
        name: write
        code: echo "from the box in $(pwd)" > "$WERCKER_SOURCE_DIR/written.txt"
`;

const project = (yml: string): string =>
  writeTree(tmp(), { 'wercker.yml': yml, Dockerfile: 'FROM werker-test/busybox\nCOPY wercker.yml /copied.yml\n' });

const ROOTS = ['--guest-root', '/build', '--mnt-root', '/wmnt', '--report-root', '/rep'];

describe.skipIf(!docker)('§4.3 --guest-root, --mnt-root, --report-root', () => {
  it('every path, variable and mount follows the roots; the cache round-trips, artifacts and docker-build read from them', async () => {
    const dir = project(SHOW_PATHS);
    const wd = tmp();
    images.push('itroots01img:latest', 'itroots02img:latest');
    const first = await runCli(['build', dir, '--working-dir', wd, ...ROOTS, '--artifacts', '--run-id', 'itroots01']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain('pwd=/build/source');
    expect(first.stdout).toContain('root=/build/source src=/build/source cache=/build/cache out=/build/output pipe=/build reportdir=/build/report');
    expect(first.stdout).toMatch(/steproot=\/build\/script-[0-9a-f-]{36}\n/);
    expect(first.stdout).toMatch(/message=\/rep\/script-[0-9a-f-]{36}\/message\.txt artifacts=\/rep\/script-[0-9a-f-]{36}\/artifacts/);
    expect(first.stdout).toContain('mounts: /rep /wmnt/cache');
    expect(first.stdout).toContain('defaults: 0');
    expect(first.stdout).toContain('cache had=none');
    expect(first.stdout).toContain('Built itroots01img');
    expect(readFileSync(path.join(wd, 'builds', 'itroots01', 'output', 'result.txt'), 'utf8')).toBe('built\n');
    expect(readFileSync(path.join(wd, 'cache', 'count'), 'utf8')).toBe('1\n');

    const second = await runCli(['build', dir, '--working-dir', wd, ...ROOTS, '--run-id', 'itroots02']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain('cache had=1');
    expect(readFileSync(path.join(wd, 'cache', 'count'), 'utf8')).toBe('2\n');
    expect(await leftovers('itroots01')).toEqual([]);
    expect(await leftovers('itroots02')).toEqual([]);
  });

  it('with --direct-mount (dev) the project is mounted at the guest root\'s source', async () => {
    const dir = project(SHOW_PATHS);
    const r = await runCli(['dev', dir, '--working-dir', tmp(), '--guest-root', '/work-area']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'written.txt'), 'utf8')).toBe('from the box in /work-area/source\n');
  });

  it('refuses a root that is unsafe, with exit 2 and the flag named, before anything starts', async () => {
    const dir = project(SHOW_PATHS);
    const wd = tmp();
    const cases: [string[], string][] = [
      [['--guest-root', 'build'], '--guest-root takes an absolute path in the box, not "build"'],
      [['--mnt-root', '/usr'], '--mnt-root /usr is a system directory of the box'],
      [['--guest-root', '/build', '--report-root', '/build/rep'], '--report-root /build/rep is inside --guest-root /build'],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['build', dir, '--working-dir', wd, ...flags]);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect(existsSync(path.join(wd, 'builds'))).toBe(false);
  });
});


const URL_PROJECT = `box: werker-test/busybox
build:
  steps:
    - script:
        name: show
        code: |
          echo "app=$WERCKER_APPLICATION_NAME pwd=$(pwd) branch=[$WERCKER_GIT_BRANCH] commit=[$WERCKER_GIT_COMMIT]"
          echo "files: $(ls | tr '\\n' ' ')"
          cat src/app.txt
deploy:
  steps:
    - script:
        name: show
        code: echo "deploying app=$WERCKER_APPLICATION_NAME files=$(ls | tr '\\n' ' ')"
`;

describe.skipIf(!docker)('§4.3 / §8.3 an http(s) tarball URL as the target', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    // The tarballs, made by tar as a user would: one with a top-level directory (as GitHub's are), one without.
    const made = tmp();
    mkdirSync(path.join(made, 'shop-1a2b3c', 'src'), { recursive: true });
    writeFileSync(path.join(made, 'shop-1a2b3c', 'wercker.yml'), URL_PROJECT);
    writeFileSync(path.join(made, 'shop-1a2b3c', 'src', 'app.txt'), 'the app from the tarball\n');
    execFileSync('tar', ['-czf', path.join(made, 'shop.tar.gz'), '-C', made, 'shop-1a2b3c']);
    execFileSync('tar', ['-cf', path.join(made, 'flat.tar'), '-C', path.join(made, 'shop-1a2b3c'), '.']);
    const files: Record<string, string> = { '/releases/shop.tar.gz': 'shop.tar.gz', '/repos/acme/site/tarball/main': 'flat.tar' };
    server = createServer((req, res) => {
      // A download that never ends: a gzip header, then nothing.
      if (req.url === '/releases/slow.tar.gz') return void res.write(Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
      const file = files[req.url ?? ''];
      if (!file) {
        res.statusCode = 404;
        res.end('not found');
        return;
      }
      res.setHeader('content-type', 'application/octet-stream');
      res.end(readFileSync(path.join(made, file)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server?.closeAllConnections();
    return new Promise((resolve) => server?.close(resolve));
  });

  it('werker build URL downloads the .tar.gz into the working dir and runs it as the project, named after the file', async () => {
    const wd = tmp();
    const r = await runCli(['build', `${base}/releases/shop.tar.gz`, '--working-dir', wd, '--run-id', 'iturl01']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain(`Downloading the project from ${base}/releases/shop.tar.gz`);
    expect(r.stdout).toContain('app=shop pwd=/pipeline/source branch=[] commit=[]');
    expect(r.stdout).toContain('files: src wercker.yml');
    expect(r.stdout).toContain('the app from the tarball');
    expect(readdirSync(path.join(wd, 'projects'))).toEqual(['shop']);
    expect(await leftovers('iturl01')).toEqual([]);
  });

  it('werker deploy takes a GitHub-style tarball URL (an uncompressed tar here), named after the repository; --application-name wins', async () => {
    const wd = tmp();
    const r = await runCli(['deploy', `${base}/repos/acme/site/tarball/main`, '--working-dir', wd]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('deploying app=site files=src wercker.yml');
    const named = await runCli(['deploy', `${base}/repos/acme/site/tarball/main`, '--working-dir', wd, '--application-name', 'storefront']);
    expect(named.stdout).toContain('deploying app=storefront');
  });

  it('a 404 and an unreachable server fail with exit 1, say what to check, and leave nothing behind', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const cases: [string, string][] = [
      [`${base}/releases/missing.tar.gz`, `error: could not download the project from ${base}/releases/missing.tar.gz: HTTP 404 Not Found`],
      [`http://127.0.0.1:${port}/shop.tar.gz`, `error: could not download the project from http://127.0.0.1:${port}/shop.tar.gz: connect ECONNREFUSED`],
    ];
    for (const [url, message] of cases) {
      const wd = path.join(tmp(), 'wd');
      const r = await runCli(['build', url, '--working-dir', wd, '--run-id', 'iturl02']);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('hint: ');
      expect(existsSync(wd)).toBe(false);
    }
    expect(await leftovers('iturl02')).toEqual([]);
  });

  it('Ctrl-C during the download stops it: exit 130, nothing left', async () => {
    const wd = path.join(tmp(), 'wd');
    const { child, done } = spawnCli(['build', `${base}/releases/slow.tar.gz`, '--working-dir', wd]);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    // The download has begun once its temp dir is there.
    await waitFor('the download to start', async () => (existsSync(path.join(wd, 'projects')) ? true : undefined), 30_000);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, stderr).toBe(130);
    expect(stderr).toContain(`interrupted while downloading ${base}/releases/slow.tar.gz`);
    expect(existsSync(wd)).toBe(false);
  });
});
