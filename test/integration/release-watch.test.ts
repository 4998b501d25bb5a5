import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import type { SshConnection } from '../../src/runtime/ssh/connection.ts';
import { breakingAppFiles } from '../helpers/breaking-app.ts';
import { fixture, runCli, spawnCli, type CliResult } from '../helpers/cli.ts';
import { deployTarget, TARGET } from '../helpers/deploy-target.ts';
import { requireDocker } from '../helpers/docker.ts';
import { deleteRegistryTags, REGISTRY } from '../helpers/registry.ts';
import { freePorts, getThroughNginx, type Page } from '../helpers/site-load.ts';

/**
 * The watch window and the probes that explain themselves, end to end: the real CLI deploys
 * over the real sshd to the loopback deploy target (nginx, this engine) while clients request
 * the site through nginx. v2 turns bad 12 s after it starts (about 10 s after the switch).
 */
const docker: DockerRuntime | undefined = await requireDocker();
const target = docker ? deployTarget() : undefined;

const id = randomBytes(3).toString('hex');
const prefix = `werker-watch-${id}`;
const repo = `werker-it/release-watch-${id}`;
const image = `${REGISTRY.host}/${repo}`;
const siteHost = `${prefix}.test`;
const stateDir = `.werker/${prefix}`;
const commit = { v1: '1'.repeat(40), v2: '2'.repeat(40), v3: '3'.repeat(40), v4: '4'.repeat(40) };
type Version = keyof typeof commit;
const release = (v: Version) => `${prefix}_${commit[v].slice(0, 7)}`;
const BREAK_AFTER_SEC = 12;

let conn: SshConnection;
let workDir: string;
const outputs: string[] = [];

describe.skipIf(!docker || !target)('internal/release watch window over SSH to a loopback server', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'werker-watch-'));
    conn = await target!.connect();
    const [p1, p2] = await freePorts(2);
    env = {
      X_DEPLOY_KEY_PRIVATE: target!.key, X_DEPLOY_KNOWN_HOSTS: target!.knownHosts, X_RELEASE_IMAGE: image, X_RELEASE_PREFIX: prefix,
      X_REGISTRY_USER: REGISTRY.username, XXX_REGISTRY_PASSWORD: REGISTRY.password, X_RELEASE_PORTS: `${p1} ${p2}`,
      X_NGINX_DIR: TARGET.nginxDir, X_APP_PORT: '8080', X_RELEASE_WATCH: '4', X_HEALTH_TIMEOUT: '8',
    };
    await buildAndPush('v1', breakingAppFiles('v1'));
    await buildAndPush('v2', breakingAppFiles('v2', { breakAfterSec: BREAK_AFTER_SEC }));
    await buildAndPush('v3', breakingAppFiles('v3', { redirectHealth: true }));
    await buildAndPush('v4', breakingAppFiles('v4'));
  }, 300_000);

  afterAll(async () => {
    if (!docker || !target) return;
    await cleanup();
    for (const o of outputs) expect(o).not.toContain(REGISTRY.password);
  });

  const args = (v: Version) => ['deploy', fixture('release-watch'), '--working-dir', workDir, '--git-commit', commit[v]];
  const deploy = async (v: Version, extra: Record<string, string> = {}): Promise<CliResult> => {
    const r = await runCli(args(v), { env: { ...env, ...extra } });
    outputs.push(r.stdout + r.stderr);
    return r;
  };

  it('werker plan shows the watch window and the access log it counts 5xx in', async () => {
    const r = await runCli(['plan', fixture('release-watch'), '--pipeline', 'deploy', '--git-commit', commit.v1], { env: { ...env, X_RELEASE_WATCH: '60' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`    watch: 60s after the switch; 5xx through nginx: at most 5% (access log ${TARGET.nginxDir}/${prefix}.access.log)`);
    expect(r.stdout).toContain('# (watch 60s, <live release> still running:');
  });

  it('a bad watch value names file:line:col and the option', async () => {
    const r = await runCli(['plan', fixture('release-watch'), '--pipeline', 'deploy', '--git-commit', commit.v1], { env: { ...env, X_RELEASE_WATCH: 'a while' } });
    expect(r.stdout).toMatch(/✗ \S+release-watch\/wercker\.yml:24:9 deploy\.internal\/release\.watch: "a while" is not a whole number of seconds/);
  });

  it('deploys v1 and watches it: passed, served through nginx, audit ok', async () => {
    const r = await deploy('v1');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`watching ${release('v1')} for 4s`);
    expect(r.stdout).toMatch(new RegExp(`${release('v1')} passed its 4s watch: 0 of \\d+ answers`));
    expect(await get()).toEqual({ status: 200, body: 'v1\n' });
  });

  it('v2 breaks 10 s after the switch: werker switches back to v1 by itself, with no failed request during the roll-back', async () => {
    const load = startLoad();
    await sleep(500);
    const run = spawnCli(args('v2'), { env: { ...env, X_RELEASE_WATCH: '40' } });
    let out = '';
    run.child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (load.rollbackFrom === undefined && out.includes('; switching back to')) load.rollbackFrom = Date.now();
    });
    const r = await run.done;
    await sleep(1000);
    const s = await load.stop();
    outputs.push(r.stdout + r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${release('v2')} failed its watch after [\\d.]+s of 40s: (3 health checks in a row failed, the last GET /cgi-bin/health: 500 in \\d+ ms, body "broken"|\\d+ of \\d+ answers of the new release were 5xx \\(\\d+\\.\\d%, limit 5%\\))`));
    expect(r.stdout).toContain(`switched back: ${release('v1')} serves again; ${release('v2')} is stopped and kept for a look`);
    // The broken release answered 500 until werker switched back; nothing else failed, before or during the roll-back.
    expect(s.failures, `failed requests of ${s.total}`).toEqual([]);
    expect(s.broken).toBeGreaterThan(0);
    expect(s.duringRollback).toBeGreaterThan(20);
    expect(s.seen).toEqual(new Set(['v1', 'v2']));
    expect(s.lastAnswers.every((b) => b === 'v1'), s.lastAnswers.join(',')).toBe(true);
    expect(await get()).toEqual({ status: 200, body: 'v1\n' });
    expect((await docker!.inspectContainer(release('v2'))).running).toBe(false);
    expect((await docker!.inspectContainer(release('v1'))).running).toBe(true);
    expect((await conn.exec(['cat', `${stateDir}/live`])).stdout.trim()).toBe(release('v1'));
    const audit = (await conn.exec(['cat', `${stateDir}/audit.log`])).stdout.trim().split('\n').at(-1)!;
    expect(audit).toMatch(new RegExp(`deploy ${release('v2')} from=${release('v1')} .* failed: watch: .*; switched back to ${release('v1')}$`));
  }, 120_000);

  it('a health path that redirects to https fails the gate with the redirect and the forced-SSL hint', async () => {
    const r = await deploy('v3');
    expect(r.code).toBe(1);
    const text = r.stdout + r.stderr;
    expect(text).toMatch(new RegExp(`${release('v3')} was not healthy within 8s \\(last check: GET /cgi-bin/health: 301 → https://127\\.0\\.0\\.1:\\d+/cgi-bin/health in \\d+ ms, body "moved"\\)`));
    expect(text).toContain('the app forces SSL');
    expect(text).toContain('health-forwarded-proto: https');
    expect(await get()).toEqual({ status: 200, body: 'v1\n' });
  });

  it('a wrong app-port names the port the container listens on', async () => {
    const r = await deploy('v4', { X_APP_PORT: '9090', X_HEALTH_TIMEOUT: '3' });
    expect(r.code).toBe(1);
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/last check: GET \/cgi-bin\/health: no answer: curl: \(\d+\)/);
    expect(text).toMatch(/nothing listens on app-port 9090; the container listens on \S+:8080: set app-port to the app's port/);
    expect(text).toMatch(new RegExp(`container ${release('v4')}: running`));
    expect(await get()).toEqual({ status: 200, body: 'v1\n' });
  });

  it('Ctrl-C during the watch: v4 stays live, v1 is stopped, the lock is let go and the audit line says so', async () => {
    const run = spawnCli(args('v4'), { env: { ...env, X_RELEASE_WATCH: '60' } });
    let out = '';
    run.child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    for (let i = 0; i < 600 && !out.includes(`watching ${release('v4')}`); i++) await sleep(100);
    await sleep(1500);
    run.child.kill('SIGINT');
    const r = await run.done;
    outputs.push(r.stdout + r.stderr);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`${release('v4')} stays live`);
    expect(r.stdout).toContain('released the deploy lock');
    expect(await get()).toEqual({ status: 200, body: 'v4\n' });
    expect((await docker!.inspectContainer(release('v1'))).running).toBe(false);
    expect((await conn.exec(['flock', '-n', `${stateDir}/lock`, 'true'])).code).toBe(0);
    const audit = (await conn.exec(['cat', `${stateDir}/audit.log`])).stdout.trim().split('\n').at(-1)!;
    expect(audit).toMatch(new RegExp(`deploy ${release('v4')} from=${release('v1')} .* cancelled: the watch was stopped after [\\d.]+s; ${release('v4')} stays live$`));
  }, 120_000);
});

// --------------------------------------------------------------------------- helpers

async function buildAndPush(v: Version, files: Record<string, string>): Promise<void> {
  const p = pack();
  for (const [name, text] of Object.entries(files)) p.entry({ name, mode: name.includes('cgi-bin') ? 0o755 : 0o644 }, text);
  p.finalize();
  await docker!.buildImage(Readable.from(p as unknown as AsyncIterable<Buffer>), { tag: `${image}:${commit[v]}`, labels: { 'werker.test': id } });
  await docker!.pushImage(image, commit[v], { auth: { username: REGISTRY.username, password: REGISTRY.password, serveraddress: REGISTRY.host } });
  await docker!.removeImage(`${image}:${commit[v]}`);
}

const get = async (): Promise<Page> => getThroughNginx(siteHost, '/cgi-bin/v');

/**
 * Two clients requesting the site back to back through nginx. A good answer is 200 with a
 * version; the broken release's own 500 "broken" is counted apart (it is what the watch is for);
 * anything else (a 502, a reset, a timeout) is a failed request.
 */
function startLoad() {
  const state = {
    rollbackFrom: undefined as number | undefined,
    stopped: false,
    total: 0, broken: 0, duringRollback: 0,
    failures: [] as string[], seen: new Set<string>(), lastAnswers: [] as string[],
  };
  const until = Date.now() + 100_000;
  const loop = async () => {
    while (!state.stopped && Date.now() < until) {
      const started = Date.now();
      const page = await get().catch((err: Error) => ({ status: 0, body: err.message }));
      state.total++;
      if (state.rollbackFrom !== undefined && started >= state.rollbackFrom) state.duringRollback++;
      if (page.status === 200 && /^v\d\n$/.test(page.body)) {
        state.seen.add(page.body.trim());
        state.lastAnswers = [...state.lastAnswers.slice(-9), page.body.trim()];
      } else if (page.status === 500 && page.body === 'broken\n') state.broken++;
      else if (state.failures.length < 10) state.failures.push(`${page.status} ${page.body.slice(0, 80)}`);
      await sleep(20);
    }
  };
  const loops = Promise.all([loop(), loop()]);
  return Object.assign(state, {
    async stop() {
      state.stopped = true;
      await loops;
      return state;
    },
  });
}

async function cleanup(): Promise<void> {
  const found = await docker!.listLabelled('werker.release', prefix);
  await Promise.all(found.containers.map((c) => docker!.removeContainer(c.id, { force: true })));
  await docker!.removeNetwork(prefix).catch(() => undefined);
  for (const tag of Object.values(commit)) await docker!.removeImage(`${image}:${tag}`).catch(() => undefined);
  if (conn) {
    await conn.exec(['rm', '-rf', `${TARGET.nginxDir}/sites/${prefix}.conf`, `${TARGET.nginxDir}/${prefix}.access.log`, stateDir]);
    await conn.exec(['rmdir', '.werker']);
    await conn.exec(['/usr/sbin/nginx', '-c', `${TARGET.nginxDir}/nginx.conf`, '-e', `${TARGET.nginxDir}/error.log`, '-s', 'reload']);
    conn.close();
  }
  await deleteRegistryTags(repo, Object.values(commit));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}
