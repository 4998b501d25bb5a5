import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cronJobs } from '../../src/deploy/cron.ts';
import { SshError } from '../../src/errors.ts';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { SshConnection } from '../../src/runtime/ssh/connection.ts';
import { fixture, runCli, spawnCli, type CliResult } from '../helpers/cli.ts';
import { deployTarget, removeCronBlock, TARGET } from '../helpers/deploy-target.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { deleteRegistryTags, REGISTRY } from '../helpers/registry.ts';
import { freePorts, getThroughNginx, startLoad as startSiteLoad } from '../helpers/site-load.ts';

/**
 * internal/release end to end: the real CLI deploys images from the local registry over SSH to
 * the loopback deploy target (scripts/setup-deploy-target.sh: sshd, nginx, cron, this engine),
 * while a client requests the site through nginx. Every request goes to 127.0.0.1.
 */
const docker: DockerRuntime | undefined = await requireDocker();
const target = docker ? deployTarget() : undefined;

const id = randomBytes(3).toString('hex');
const prefix = `werker-rel-${id}`;
const repo = `werker-it/release-${id}`;
const image = `${REGISTRY.host}/${repo}`;
const siteHost = `${prefix}.test`;
const commit = { v1: '1'.repeat(40), v2: '2'.repeat(40), v3: '3'.repeat(40) };
const release = (v: keyof typeof commit) => `${prefix}_${commit[v].slice(0, 7)}`;
const TRICKY = `; $(touch /tmp/pwned) ' " \`id\` \\ end`;
const DB_PASSWORD = `db-secret-${id}`;
const stateDir = `.werker/${prefix}`;
const staticDir = `${TARGET.home}/static-${prefix}`;
const [tickJob, minuteJob] = cronJobs("0 0 1 1 * sh -c 'cat /www/version >> /data/ticks'\n* * * * * sh -c 'cat /www/version >> /data/minutely'");

let conn: SshConnection;
let workDir: string;
let cronInstalledAt = 0;
const outputs: string[] = [];

describe.skipIf(!docker || !target)('internal/release over SSH to a loopback server', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'werker-release-'));
    conn = await target!.connect();
    const [p1, p2] = await freePorts(2);
    env = {
      X_DEPLOY_KEY_PRIVATE: target!.key, X_DEPLOY_KNOWN_HOSTS: target!.knownHosts, X_RELEASE_IMAGE: image, X_RELEASE_PREFIX: prefix,
      X_REGISTRY_USER: REGISTRY.username, XXX_REGISTRY_PASSWORD: REGISTRY.password, X_RELEASE_PORTS: `${p1} ${p2}`, X_RELEASE_DRAIN: '2',
      X_NGINX_DIR: TARGET.nginxDir, X_STATIC_DIR: staticDir, X_TRICKY: TRICKY, XXX_DB_PASSWORD: DB_PASSWORD,
    };
    if (existsSync('/tmp/pwned')) rmSync('/tmp/pwned');
    for (const v of ['v1', 'v2', 'v3'] as const) await buildAndPush(v);
  });

  afterAll(async () => {
    if (!docker || !target) return;
    await cleanup();
    for (const o of outputs) expect(o).not.toContain(REGISTRY.password);
  });

  const deploy = async (v: keyof typeof commit, extra: Record<string, string> = {}, args: string[] = []): Promise<CliResult> => {
    const r = await runCli(['deploy', fixture('release'), '--working-dir', workDir, '--git-commit', commit[v], ...args], { env: { ...env, ...extra } });
    outputs.push(r.stdout + r.stderr);
    return r;
  };
  const rollback = async (): Promise<CliResult> => {
    const r = await runCli(['rollback', fixture('release'), '--working-dir', workDir], { env });
    outputs.push(r.stdout + r.stderr);
    return r;
  };

  it('werker plan prints every remote command, quoted once, secrets only as stdin notes', async () => {
    const r = await runCli(['plan', fixture('release'), '--pipeline', 'deploy', '--git-commit', commit.v1], { env });
    outputs.push(r.stdout + r.stderr);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`    $ docker login ${REGISTRY.host} --username ${REGISTRY.username} --password-stdin  <<< the registry password`);
    expect(r.stdout).toContain(`    $ install -m 600 /dev/stdin ${stateDir}/env/${release('v1')}.env  <<< env file: TRICKY GREETING DB_HOST`);
    expect(r.stdout).toMatch(new RegExp(`\\$ docker run --detach --name ${release('v1')} --network ${prefix} --restart always .* ${image}:${commit.v1}\n`));
    expect(r.stdout).toContain(`    $ /usr/sbin/nginx -c ${TARGET.nginxDir}/nginx.conf -e ${TARGET.nginxDir}/error.log -s reload`);
    expect(r.stdout).not.toContain('pwned');
  });

  it('refuses a server whose host key is not the one in known-hosts', async () => {
    // A well-formed line for this host, but with another key (the user's, not the server's).
    const wrong = `[${TARGET.host}]:${TARGET.port} ${readFileSync(`${TARGET.root}/id_ed25519.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}`;
    const err = await SshConnection.connect({ host: TARGET.host, port: TARGET.port, username: TARGET.user, privateKey: target!.key, knownHosts: wrong }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshError);
    expect((err as Error).message).toMatch(/HOST KEY MISMATCH for \[127\.0\.0\.1\]:2222: the server offered ssh-ed25519 SHA256:/);
  });

  it('deploys v1: accessory created and reachable, site and static files through nginx, env intact, nothing run', async () => {
    const r = await deploy('v1');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    cronInstalledAt = Date.now();
    expect(r.stdout).toContain(`accessory db: creating ${prefix}-db`);
    expect(r.stdout).toMatch(/install -m 600 \/dev\/stdin \S+\.env {2}<<< env file: TRICKY GREETING DB_HOST/);
    expect(await get('/')).toEqual({ status: 200, body: 'v1\n' });
    expect(await get('/static/app.css')).toEqual({ status: 200, body: '/* v1 */\n' });
    // The value went argv-free (env file over stdin) and arrives byte for byte; nothing it holds ran.
    expect((await docker!.exec(release('v1'), ['env'])).stdout).toContain(`TRICKY=${TRICKY}\n`);
    expect((await docker!.exec(release('v1'), ['ls', '/tmp/pwned'])).exitCode).not.toBe(0);
    expect(existsSync('/tmp/pwned')).toBe(false);
    expect((await conn.exec(['ls', '/tmp/pwned'])).code).not.toBe(0);
    expect((await conn.exec(['stat', '-c', '%a', `${stateDir}/env/${release('v1')}.env`])).stdout.trim()).toBe('600');
    await writeAccessoryData();
    // The app reaches the accessory by its alias on the app's network.
    expect((await docker!.exec(release('v1'), ['sh', '-c', 'echo | nc -w 3 db 5432'])).exitCode).toBe(0);
  });

  it('deploys v2 while the site is under load: no failed request, v2 served after; the cron job runs once per tick, in the live release', async () => {
    await docker!.exec(release('v1'), ['rm', '-f', '/data/ticks']);
    const load = startLoad();
    const ticks = startTicks();
    await sleep(1500);
    const r = await deploy('v2');
    await sleep(1500);
    const t = await ticks.stop();
    const s = await load.stop();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(s.failures, `failed requests of ${s.ok + s.failed}`).toEqual([]);
    expect(s.ok).toBeGreaterThan(50);
    expect(s.seen).toEqual(new Set(['v1', 'v2']));
    expect(await get('/')).toEqual({ status: 200, body: 'v2\n' });
    expect(await get('/static/app.css')).toEqual({ status: 200, body: '/* v2 */\n' });
    // Every tick ran exactly once, in whichever release was live: v1 … v1 then v2 … v2.
    expect(t.errors, `runner exit codes ${t.codes.join(',')}`).toEqual([]);
    const lines = (await docker!.exec(release('v2'), ['cat', '/data/ticks'])).stdout;
    expect(lines.split('\n').filter(Boolean)).toHaveLength(t.codes.length);
    expect(lines).toMatch(/^(v1\n)+(v2\n)+$/);
    // The old release is stopped, kept for rollback, and won't come back on a daemon restart.
    const old = await docker!.inspectContainer(release('v1'));
    expect(old.running).toBe(false);
    expect((await conn.exec(['docker', 'inspect', '--format', '{{.HostConfig.RestartPolicy.Name}}', release('v1')])).stdout.trim()).toBe('no');
  });

  it('a v3 whose health check fails is not deployed: the step fails, v2 keeps serving, no failed request', async () => {
    const load = startLoad();
    const r = await deploy('v3');
    const s = await load.stop();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${release('v3')} was not healthy within 6s \\(last check: GET /health: 404 in \\d+ ms, body "[^"]*404`));
    expect(r.stdout).toContain('hint: /health answers 404; check the path exists and the app is healthy');
    expect(r.stdout).toContain(`${release('v3')} did not become live; removing it (${release('v2')} keeps serving)`);
    expect(s.failures).toEqual([]);
    expect(s.ok).toBeGreaterThan(50);
    expect(s.seen).toEqual(new Set(['v2']));
    expect(await get('/')).toEqual({ status: 200, body: 'v2\n' });
    expect(await docker!.inspectContainer(release('v3')).catch(() => 'gone')).toBe('gone');
  });

  it('werker rollback returns to v1 the same way, with no failed request', async () => {
    const load = startLoad();
    const r = await rollback();
    const s = await load.stop();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`${release('v1')} is healthy`);
    expect(s.failures).toEqual([]);
    expect(s.ok).toBeGreaterThan(50);
    expect(s.seen).toEqual(new Set(['v1', 'v2']));
    expect(await get('/')).toEqual({ status: 200, body: 'v1\n' });
    expect(await get('/static/app.css')).toEqual({ status: 200, body: '/* v1 */\n' });
    expect((await docker!.inspectContainer(release('v2'))).running).toBe(false);
  });

  it('a second deploy while one runs is refused, naming the holder; the first one completes', async () => {
    const holderRun = `holder-${id}`;
    const a = spawnCli(['deploy', fixture('release'), '--working-dir', workDir, '--git-commit', commit.v2, '--run-id', holderRun], { env: { ...env, X_RELEASE_DRAIN: '8' } });
    let aOut = '';
    a.child.stdout!.on('data', (c: Buffer) => (aOut += c.toString()));
    for (let i = 0; i < 300 && !aOut.includes('took the deploy lock'); i++) await sleep(100);
    expect(aOut).toContain('took the deploy lock');
    const b = await deploy('v2');
    const ra = await a.done;
    outputs.push(ra.stdout + ra.stderr);
    expect(b.code).toBe(1);
    expect(b.stdout).toMatch(new RegExp(`another deploy holds the lock: deploy of ${release('v2')} by \\S+@\\S+, run ${holderRun}, since \\d{4}-`));
    expect(ra.code, ra.stdout + ra.stderr).toBe(0);
    expect(await get('/')).toEqual({ status: 200, body: 'v2\n' });
  });

  it('the cron job runs one at a time: a run that finds the lock held does nothing', async () => {
    const before = (await docker!.exec(release('v2'), ['cat', '/data/ticks'])).stdout;
    const holder = await conn.start(['flock', `${stateDir}/cron/${tickJob!.name}.lock`, 'sh', '-c', 'echo held; exec cat > /dev/null']);
    expect(await holder.firstLine).toBe('held');
    const skipped = await runTick();
    expect(skipped.code).toBe(75);
    expect(skipped.stderr).toContain('skipped, the previous run is still going');
    expect((await docker!.exec(release('v2'), ['cat', '/data/ticks'])).stdout).toBe(before);
    await holder.end();
    expect((await runTick()).code).toBe(0);
    expect((await docker!.exec(release('v2'), ['cat', '/data/ticks'])).stdout).toBe(`${before}v2\n`);
  });

  it('the deploy installed the crontab, and the real cron daemon runs the job in the live release each minute', async () => {
    const tab = (await conn.exec(['crontab', '-l'])).stdout;
    expect(tab).toContain(`# werker:${prefix} begin`);
    expect(tab).toContain(`* * * * * cd && exec ${stateDir}/cron/${minuteJob!.name}.sh > ${stateDir}/cron/${minuteJob!.name}.log 2>&1`);
    expect(tab).toContain(`0 0 1 1 * cd && exec ${stateDir}/cron/${tickJob!.name}.sh`);
    // Bounded: the crontab went in with the first deploy; cron fires at the next minute boundary.
    // On a loaded machine the tests before this one may outlast that wait: then watch over one
    // more minute boundary from now, so the loop always gives cron a chance to fire.
    const until = Math.max(cronInstalledAt + 75_000, Date.now() + 65_000);
    let minutely = '';
    while (Date.now() < until) {
      minutely = (await docker!.exec(release('v2'), ['cat', '/data/minutely'])).stdout;
      if (minutely) break;
      await sleep(2000);
    }
    expect(minutely).toMatch(/^(v[12]\n)+$/);
  });

  it('the accessory kept its container and its data through the deploys; every deploy left an audit line', async () => {
    expect(await readAccessoryData()).toBe('kept');
    const audit = (await conn.exec(['cat', `${stateDir}/audit.log`])).stdout.trim().split('\n');
    const results = audit.map((l) => l.split(' ').slice(1, 3).join(' ') + ' ' + (l.match(/\s(ok|failed|refused)(\s|:|$)/)?.[1] ?? '?'));
    expect(results).toEqual([
      `deploy ${release('v1')} ok`, `deploy ${release('v2')} ok`, `deploy ${release('v3')} failed`,
      `rollback ${release('v1')} ok`, `deploy ${release('v2')} refused`, `deploy ${release('v2')} ok`,
    ]);
  });
});

// --------------------------------------------------------------------------- helpers

async function buildAndPush(v: 'v1' | 'v2' | 'v3'): Promise<void> {
  const p = pack();
  p.entry({ name: 'Dockerfile' }, `FROM ${BUSYBOX}\nCOPY www /www\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`);
  p.entry({ name: 'www/index.html' }, `${v}\n`);
  p.entry({ name: 'www/version' }, `${v}\n`);
  p.entry({ name: 'www/static/app.css' }, `/* ${v} */\n`);
  // v3 has no /health: its health check fails.
  if (v !== 'v3') p.entry({ name: 'www/health' }, 'ok\n');
  p.finalize();
  const tag = commit[v];
  await docker!.buildImage(Readable.from(p as unknown as AsyncIterable<Buffer>), { tag: `${image}:${tag}`, labels: { 'werker.test': id } });
  await docker!.pushImage(image, tag, { auth: { username: REGISTRY.username, password: REGISTRY.password, serveraddress: REGISTRY.host } });
  // Removed locally, so the deploy really pulls it from the registry.
  await docker!.removeImage(`${image}:${tag}`);
}

const get = (urlPath: string) => getThroughNginx(siteHost, urlPath);

/** Two clients requesting the site back to back through nginx; every answer must be 200 with a version. */
const startLoad = () => startSiteLoad(() => get('/'), (p) => (/^v[123]\n$/.test(p.body) ? p.body.trim() : undefined), { maxMs: 90_000 });

/** One cron tick, the way the crontab line runs it: from the home directory, through the runner script. */
function runTick() {
  return conn.exec(['sh', '-c', 'cd && exec "$1"', 'sh', `${stateDir}/cron/${tickJob!.name}.sh`]);
}

/** The test as the scheduler: a tick every ~300 ms (bounded to 400 ticks). */
function startTicks() {
  const codes: number[] = [];
  const errors: string[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped && codes.length < 400) {
      const r = await runTick();
      codes.push(r.code ?? -1);
      if (r.code !== 0) errors.push(`tick ${codes.length}: ${r.code} ${r.stderr.trim()}`);
      await sleep(300);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { codes, errors };
    },
  };
}

const psql = (sql: string) => docker!.exec(`${prefix}-db`, ['psql', '-U', 'app', '-d', 'app', '-tAc', sql]);
let accessoryId = '';

async function writeAccessoryData(): Promise<void> {
  for (let i = 0; i < 90; i++) {
    // Over TCP: during its first start the image's entrypoint runs a socket-only server for initdb.
    if ((await docker!.exec(`${prefix}-db`, ['pg_isready', '-h', '127.0.0.1', '-U', 'app', '-d', 'app'])).exitCode === 0) break;
    await sleep(1000);
  }
  const r = await psql("create table kept (v text); insert into kept values ('kept')");
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  accessoryId = (await docker!.inspectContainer(`${prefix}-db`)).id;
}

async function readAccessoryData(): Promise<string> {
  expect((await docker!.inspectContainer(`${prefix}-db`)).id).toBe(accessoryId);
  return (await psql('select v from kept')).stdout.trim();
}

/** Everything the deploys made on the target, the images in the registry, the temp dir. */
async function cleanup(): Promise<void> {
  for (const label of ['werker.release', 'werker.accessory']) {
    const found = await docker!.listLabelled(label, prefix);
    await Promise.all(found.containers.map((c) => docker!.removeContainer(c.id, { force: true })));
  }
  await docker!.removeNetwork(prefix).catch(() => undefined);
  for (const v of [`${prefix}-data`, `${prefix}-db`]) await docker!.removeVolume(v).catch(() => undefined);
  for (const tag of Object.values(commit)) await docker!.removeImage(`${image}:${tag}`).catch(() => undefined);
  if (conn) {
    await conn.exec(['rm', '-rf', `${TARGET.nginxDir}/sites/${prefix}.conf`, stateDir, staticDir]);
    await conn.exec(['rmdir', '.werker']);
    await conn.exec(['/usr/sbin/nginx', '-c', `${TARGET.nginxDir}/nginx.conf`, '-e', `${TARGET.nginxDir}/error.log`, '-s', 'reload']);
    await removeCronBlock(conn, prefix);
    await conn.exec(['docker', 'logout', REGISTRY.host]);
    conn.close();
  }
  await deleteRegistryTags(repo, Object.values(commit));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

