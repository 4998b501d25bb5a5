import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_HEADER, CACHE_DIGEST_HEADER, CACHE_SIZE_HEADER } from '../../src/runner/protocol.ts';
import { httpBackend } from '../../src/runner/http-backend.ts';
import type { Run, User } from '../../src/server/context.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { cacheEntriesByAge } from '../../src/store/cache.ts';
import { runCli, spawnCli, type CliResult } from '../helpers/cli.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { waitFor } from '../helpers/wait-for.ts';

// The shared cache end to end (docs/wercker-compat.md §4.10): werker server with its embedded
// runner and a `werker runner` process on the real engine. Run 1 leaves a file in
// $WERCKER_CACHE_DIR; a fresh runner (another work dir, another process) sees it; an unchanged
// cache is not sent again; an upload cut off mid-stream, a pull-request run and a full disk
// leave the stored cache as it was; `werker build --cache-from` starts from it.
const docker = await requireDocker();
const APP = `cache-${randomBytes(3).toString('hex')}`;
const YML = `box: ${BUSYBOX}
build:
  steps:
    - script:
        name: use the cache
        code: |
          echo "cache had: $(cat "$WERCKER_CACHE_DIR/marker" 2>/dev/null || echo nothing)"
          echo "$WERCKER_GIT_COMMIT" > "$WERCKER_CACHE_DIR/marker"
big:
  steps:
    - script:
        name: fill the cache
        code: dd if=/dev/urandom of="$WERCKER_CACHE_DIR/big" bs=1024 count=3072 2>/dev/null; echo filled
`;

describe.skipIf(!docker)('the shared cache across runners', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-cache-it');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-cache-it-'));
  const serverLog: string[] = [];
  let server: RunningServer;
  let user: User;
  let appId: number;
  let runnerToken: string;
  let userToken: string;
  let first: string;
  let second: string;
  let remote: { child: ChildProcess; done: Promise<CliResult> } | undefined;
  let mounted: string | undefined;

  const uploads = () => serverLog.filter((l) => l.includes('stored the shared cache')).length;
  const entry = async (branch = 'main') => (await cacheEntriesByAge(server.core.store)).find((e) => e.applicationId === appId && e.pipeline === 'build' && e.branch === branch);
  const logOf = async (id: number) => (await server.core.listRunEvents(id, 0, 5000)).map((e) => ('text' in e ? String(e.text) : '')).join('\n');
  const finished = (id: number) => waitFor(`run ${id} to finish`, async () => {
    const r = await server.core.getRun(id);
    return r && r.status !== 'queued' && r.status !== 'running' ? r : undefined;
  }, 180_000);
  const build = async (opts: { branch?: string; commit?: string; trigger?: string; pipeline?: string } = {}): Promise<{ run: Run; log: string }> => {
    const queued = await server.core.triggerRun(appId, opts.pipeline ?? 'build', { branch: opts.branch ?? 'main', ...(opts.commit ? { commit: opts.commit } : {}), ...(opts.trigger ? { trigger: opts.trigger } : {}) }, user);
    const run = await finished(queued.id);
    return { run, log: await logOf(run.id) };
  };

  beforeAll(async () => {
    first = repo.head();
    execFileSync('git', ['-C', repo.dir, 'branch', 'feature/x']);
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, runners: 1, runtime: docker!, leaseMs: 30_000, log: (l) => serverLog.push(l), allowLocalRepos: [tmpdir()] });
    user = await server.core.auth.createUser('cache-tester', 'long enough password');
    appId = (await server.core.createApplication({ name: APP, repository: repo.dir, defaultBranch: 'main' }, user)).id;
    runnerToken = (await server.core.auth.createToken('runner', 'it')).token;
    userToken = (await server.core.auth.createToken('user', 'laptop', user)).token;
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [mounted]);
    if (remote && remote.child.exitCode === null) remote.child.kill('SIGTERM');
    await remote?.done;
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  it('run 1 on the embedded runner starts cold and stores what it left in $WERCKER_CACHE_DIR', async () => {
    const { run, log } = await build();
    expect(run.status).toBe('passed');
    expect(log).toContain('cache had: nothing');
    expect(log).toMatch(/no shared cache for build on main yet/);
    expect(log).toMatch(/stored the shared cache: [\d.]+ MB, sha256 [0-9a-f]{12}/);
    expect(uploads()).toBe(1);
    expect(await entry()).toMatchObject({ digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    await server.runner!.stop();
  });

  it('an upload cut off mid-stream never becomes the cache; only the claim holding the run may read or write it', async () => {
    const before = await entry();
    const queued = await server.core.triggerRun(appId, 'build', { branch: 'main' }, user);
    const backend = httpBackend(server.url, runnerToken);
    const job = (await backend.claim('by-hand'))!;
    expect(job.runId).toBe(queued.id);
    expect(job.cache).toEqual({ write: true });
    // A tar of 256 KB announced whole, of which half is sent before the connection is dropped.
    const aborter = new AbortController();
    const half = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(128 * 1024).fill(7));
        setTimeout(() => aborter.abort(), 300);
      },
    });
    const cut = fetch(`${server.url}/api/runner/runs/${job.runId}/cache`, {
      method: 'PUT', body: half, duplex: 'half', signal: aborter.signal,
      headers: { authorization: `Bearer ${runnerToken}`, [LEASE_HEADER]: job.lease, [CACHE_DIGEST_HEADER]: 'a'.repeat(64), [CACHE_SIZE_HEADER]: String(256 * 1024) },
    } as RequestInit & { duplex: 'half' });
    await expect(cut).rejects.toThrow();
    await waitFor('the part file to go', async () => (readdirSync(path.join(dataDir, 'cache', 'parts')).length === 0 ? true : undefined), 10_000);
    expect(await entry()).toEqual(before);
    // Another lease of this token: not held (409 → nothing); another runner token: 403.
    expect(await backend.getCache(job.runId, 'x'.repeat(24))).toBeUndefined();
    const other = httpBackend(server.url, (await server.core.auth.createToken('runner', 'other')).token);
    await expect(other.getCache(job.runId, job.lease)).rejects.toThrow(/403/);
    const got = await backend.getCache(job.runId, job.lease);
    expect(got?.found).toMatchObject({ digest: before!.digest, branch: 'main' });
    await got!.tar.cancel();
    expect(await backend.finish(job.runId, job.lease, { status: 'failed', durationMs: 0, message: 'uploaded by hand in a test' })).toBe(true);
  });

  it('run 2 on a fresh `werker runner` process sees the file; the unchanged cache is not uploaded again', async () => {
    remote = spawnCli(['runner', '--server', server.url, '--name', 'fresh', '--poll-ms', '200', '--work-dir', path.join(dataDir, 'fresh-runner')], { env: { WERKER_RUNNER_TOKEN: runnerToken } });
    const { run, log } = await build();
    expect(run.status).toBe('passed');
    expect(run.runner).toBe('fresh');
    expect(log).toContain(`cache had: ${first}`);
    expect(log).toMatch(/restored the shared cache: /);
    expect(log).toMatch(/the shared cache is unchanged \(sha256 [0-9a-f]{12}\): not uploaded again/);
    expect(uploads()).toBe(1);
  });

  it('a branch without a cache starts from the default branch\'s', async () => {
    const { run, log } = await build({ branch: 'feature/x' });
    expect(run.status).toBe('passed');
    expect(log).toContain(`cache had: ${first}`);
    expect(log).toMatch(/restored the shared cache of main \(the default branch; feature\/x has none yet\)/);
    expect(uploads()).toBe(1);
  });

  it('a pull-request run reads the cache but cannot write it', async () => {
    const before = await entry();
    second = repo.commit({ 'README': 'second commit\n' });
    const { run, log } = await build({ commit: second, trigger: 'pull_request' });
    expect(run.status).toBe('passed');
    expect(log).toContain(`cache had: ${first}`);
    expect(log).toMatch(/read-only for this run \(a pull request\)/);
    expect(await entry()).toEqual({ ...before, lastUsedAt: expect.any(String) });
    expect(uploads()).toBe(1);
    // A push of the same commit does write it.
    const pushed = await build({ commit: second, trigger: 'webhook' });
    expect(pushed.log).toContain(`cache had: ${first}`);
    expect((await entry())!.digest).not.toBe(before!.digest);
    expect(uploads()).toBe(2);
  });

  it('`werker build --cache-from URL` starts from the server\'s cache with a user token, and sends nothing back', async () => {
    const project = tempGitRepo({ 'wercker.yml': YML }, 'werker-cache-from');
    try {
      const url = `${server.url}/api/applications/${APP}/cache/build?branch=main`;
      const wd = path.join(dataDir, 'local-wd');
      const ok = await runCli(['build', project.dir, '--working-dir', wd, '--cache-from', url], { env: { WERKER_TOKEN: userToken } });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(`cache had: ${second}`);
      expect(ok.stderr).toMatch(/--cache-from: using the server's cache of main/);
      expect(uploads()).toBe(2);
      const refused = await runCli(['build', project.dir, '--working-dir', wd, '--cache-from', url], { env: { WERKER_TOKEN: 'not-a-token' } });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/refused the token \(401\)/);
    } finally {
      project.remove();
    }
  });

  it.skipIf(process.getuid?.() !== 0)('a full disk on the server: the run passes with a warning that the cache was skipped; the old cache stays', async () => {
    // The server's part files go on a 1 MB tmpfs; the run leaves 3 MB in the cache.
    const parts = path.join(dataDir, 'cache', 'parts');
    mkdirSync(parts, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', parts]);
    mounted = parts;
    const { run, log } = await build({ pipeline: 'big' });
    expect(run.status).toBe('passed');
    expect(log).toContain('filled');
    expect(log).toMatch(/the shared cache was skipped: the server did not store it \(the server's disk is full; the previous cache is kept/);
    expect((await cacheEntriesByAge(server.core.store)).filter((e) => e.pipeline === 'big')).toEqual([]);
    expect(existsSync(parts) && readdirSync(parts)).toEqual([]);
  });
});
