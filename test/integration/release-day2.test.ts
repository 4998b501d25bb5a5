import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseCommands } from '../../src/deploy/commands.ts';
import { cronJobs } from '../../src/deploy/cron.ts';
import { applySite } from '../../src/deploy/nginx-apply.ts';
import { Remote } from '../../src/deploy/remote.ts';
import type { ReleaseSpec } from '../../src/deploy/release-spec.ts';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import type { SshConnection } from '../../src/runtime/ssh/connection.ts';
import { cliCommand, fixture, runCli, spawnCli, type CliResult } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { deployTarget, removeCronBlock, TARGET } from '../helpers/deploy-target.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { deleteRegistryTags, REGISTRY } from '../helpers/registry.ts';
import { freePorts, getThroughNginx } from '../helpers/site-load.ts';

/**
 * The day-2 commands over real SSH to the loopback deploy target (sshd, nginx, cron, this
 * engine): status, logs (-f ended by Ctrl-C), exec, maintenance/live, and the cron history
 * with a failing job that the real cron daemon runs and that reaches a webhook — a real HTTP
 * server on loopback, which the target (this machine) reaches as any host would.
 */
const docker: DockerRuntime | undefined = await requireDocker();
const target = docker ? deployTarget() : undefined;

const id = randomBytes(3).toString('hex');
const prefix = `werker-d2-${id}`;
const repo = `werker-it/day2-${id}`;
const image = `${REGISTRY.host}/${repo}`;
const siteHost = `${prefix}.test`;
const commit = { v1: 'a'.repeat(40), v2: 'b'.repeat(40) };
const release = (v: keyof typeof commit) => `${prefix}_${commit[v].slice(0, 7)}`;
const stateDir = `.werker/${prefix}`;
const project = fixture('release-day2');
const [manualJob, failingJob] = cronJobs(readFileSync(path.join(project, 'wercker.yml'), 'utf8').split('cron: |')[1]!.split('accessories:')[0]!.split('\n').map((l) => l.trim()).join('\n'));

let conn: SshConnection;
let workDir: string;
let hook: { server: Server; url: string; posts: { type: string; body: string }[] };
const outputs: string[] = [];

describe.skipIf(!docker || !target)('werker release day-2 commands over SSH to a loopback server', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'werker-day2-'));
    conn = await target!.connect();
    hook = await startWebhook();
    const [p1, p2] = await freePorts(2);
    env = {
      X_DEPLOY_KEY_PRIVATE: target!.key, X_DEPLOY_KNOWN_HOSTS: target!.knownHosts, X_RELEASE_IMAGE: image, X_RELEASE_PREFIX: prefix,
      X_REGISTRY_USER: REGISTRY.username, XXX_REGISTRY_PASSWORD: REGISTRY.password, X_RELEASE_PORTS: `${p1} ${p2}`,
      X_NGINX_DIR: TARGET.nginxDir, X_NOTIFY_URL: hook.url,
    };
    for (const v of ['v1', 'v2'] as const) await buildAndPush(v);
    for (const v of ['v1', 'v2'] as const) {
      const r = await cli(['deploy', project, '--working-dir', workDir, '--git-commit', commit[v]]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
  });

  afterAll(async () => {
    if (!docker || !target) return;
    await cleanup();
    for (const o of outputs) expect(o).not.toContain(REGISTRY.password);
  });

  const cli = async (args: string[]): Promise<CliResult> => {
    const r = await runCli(args, { env });
    outputs.push(r.stdout + r.stderr);
    return r;
  };
  const day2 = (sub: string, ...args: string[]) => cli(['release', sub, project, '--working-dir', workDir, ...args]);

  it('werker release status shows the live and previous release, the accessory and the cron jobs; --json the same as data', async () => {
    const r = await day2('status');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`${TARGET.user}@[127.0.0.1]:2222`);
    expect(r.stdout).toMatch(new RegExp(`live {8}${release('v2')} {2}running {2}127\\.0\\.0\\.1:\\d+ {2}since \\d{4}-`));
    expect(r.stdout).toContain(`previous    ${release('v1')}  exited`);
    expect(r.stdout).toContain('maintenance off');
    expect(r.stdout).toContain(`accessory   ticker: ${prefix}-ticker  running  werker-test/busybox`);
    expect(r.stdout).toContain(`cron        0 0 1 1 *  sh -c echo manual run in $(cat /www/version)  (${manualJob!.name})`);
    const j = await day2('status', '--json');
    expect(j.code, j.stderr).toBe(0);
    const host = (JSON.parse(j.stdout) as { hosts: Record<string, unknown>[] }).hosts[0]!;
    expect(host).toMatchObject({
      app: prefix, user: TARGET.user,
      live: { name: release('v2'), status: 'running' }, previous: { name: release('v1'), status: 'exited' },
      maintenance: { on: false }, accessories: [{ accessory: 'ticker', status: 'running' }],
      cron: [{ job: manualJob!.name, schedule: '0 0 1 1 *' }, { job: failingJob!.name, schedule: '* * * * *' }],
    });
  });

  it('logs: the live release\'s last lines, --grep, an accessory\'s; bad flags say what to give', async () => {
    for (let i = 0; i < 3; i++) await get(`/marker-${id}-${i}`);
    const r = await day2('logs', '--grep', `marker-${id}-[02]`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+ .*marker-${id}-0`));
    const a = await day2('logs', '--accessory', 'ticker', '--lines', '3');
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.trim().split('\n')).toEqual([expect.stringMatching(/ tick$/), expect.stringMatching(/ tick$/), expect.stringMatching(/ tick$/)]);
    const none = await day2('logs', '--accessory', 'nope');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--accessory nope: the step declares only ticker');
    const since = await day2('logs', '--since', 'yesterday');
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since "yesterday": give a duration (10m, 2h30m) or a time');
  });

  it('logs -f follows the live release until Ctrl-C, which leaves no docker logs running on the host', async () => {
    const f = spawnCli(['release', 'logs', project, '--working-dir', workDir, '-f', '--lines', '0'], { env });
    let seen = '';
    f.child.stdout!.on('data', (c: Buffer) => (seen += c.toString()));
    let stderr = '';
    f.child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    for (let i = 0; i < 100 && !stderr.includes('following'); i++) await sleep(100);
    expect(stderr).toContain(`following the log of ${release('v2')}`);
    expect(await followers()).not.toBe('');
    for (let i = 0; i < 50 && !seen.includes(`followed-${id}`); i++) {
      await get(`/followed-${id}`);
      await sleep(200);
    }
    expect(seen).toContain(`followed-${id}`);
    f.child.kill('SIGINT');
    const r = await f.done;
    outputs.push(r.stdout + r.stderr);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('stopped following');
    let left = await followers();
    for (let i = 0; i < 20 && left; i++) {
      await sleep(250);
      left = await followers();
    }
    expect(left).toBe('');
  });

  it('a follow whose werker dies (the connection drops) leaves nothing running on the host either', async () => {
    const f = spawnCli(['release', 'logs', project, '--working-dir', workDir, '-f', '--accessory', 'ticker', '--lines', '1'], { env });
    let seen = '';
    f.child.stdout!.on('data', (c: Buffer) => (seen += c.toString()));
    for (let i = 0; i < 100 && !seen.includes('tick'); i++) await sleep(100);
    expect(seen).toContain('tick');
    expect(await tickerFollowers()).not.toBe('');
    f.child.kill('SIGKILL');
    await f.done;
    let left = await tickerFollowers();
    for (let i = 0; i < 40 && left; i++) {
      await sleep(250);
      left = await tickerFollowers();
    }
    expect(left).toBe('');
  });

  it('exec runs a command in the live release with its exit code, and leaves an audit line; -i needs a terminal', async () => {
    const r = await cli(['release', 'exec', project, '--working-dir', workDir, '--', 'cat', '/www/version']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toBe('v2\n');
    const failed = await cli(['release', 'exec', project, '--working-dir', workDir, '--', 'sh', '-c', 'echo to stderr >&2; exit 7']);
    expect(failed.code).toBe(7);
    expect(failed.stderr).toContain('to stderr');
    const audit = (await conn.exec(['tail', '-n', '2', `${stateDir}/audit.log`])).stdout;
    expect(audit).toMatch(new RegExp(`exec ${release('v2')} from=- by=\\S+ run=\\S+ [\\d.]+s exit 0: cat /www/version\\n.*exit 7: sh -c 'echo to stderr >&2; exit 7'\\n$`));
    const noTty = await cli(['release', 'exec', project, '--working-dir', workDir, '-i']);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('-i needs a terminal');
    const noCmd = await cli(['release', 'exec', project, '--working-dir', workDir]);
    expect(noCmd.code).toBe(2);
    expect(noCmd.stderr).toContain('give the command after --');
  });

  it('exec -i opens a shell with a terminal in the live release', async () => {
    const cmd = [process.execPath, ...cliCommand(), 'release', 'exec', project, '--working-dir', workDir, '-i'].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qefc', cmd, '/dev/null'], { cwd: repoRoot, env: { ...process.env, ...env, NO_COLOR: '1', TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (c: Buffer) => (screen += c.toString()));
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let i = 0; i < 200 && !/[#$] $/m.test(screen); i++) await sleep(100);
    child.stdin.write(`tty; echo "in-$(cat /www/version)-$((6*7))"; exit 5\n`);
    const code = await Promise.race([done, sleep(30_000).then(() => 'timeout')]);
    if (code === 'timeout') child.kill();
    outputs.push(screen);
    expect(screen).toContain('/dev/pts/');
    expect(screen).toContain('in-v2-42');
    expect(code).toBe(5);
  });

  it('maintenance: nginx answers 503 with the repository\'s page, status says so; live brings the release back; both audited', async () => {
    const m = await day2('maintenance');
    expect(m.code, m.stdout + m.stderr).toBe(0);
    expect(m.stdout).toContain('took the deploy lock');
    expect(m.stdout).toContain('maintenance mode on');
    // No waiting here: werker returns once nginx serves the maintenance site (deploy/site-check.ts).
    const page = await get('/');
    expect(page.status).toBe(503);
    expect(page.body).toBe(readFileSync(path.join(project, 'maintenance.html'), 'utf8'));
    expect((await day2('status')).stdout).toMatch(/maintenance on since \d{4}-\S+ by \S+ \(werker release live ends it\)/);
    const l = await day2('live');
    expect(l.code, l.stdout + l.stderr).toBe(0);
    expect(await get('/')).toEqual({ status: 200, body: 'v2\n' });
    const audit = (await conn.exec(['tail', '-n', '2', `${stateDir}/audit.log`])).stdout.trim().split('\n');
    expect(audit[0]).toMatch(new RegExp(`maintenance ${release('v2')} from=- by=\\S+ run=\\S+ [\\d.]+s ok$`));
    expect(audit[1]).toMatch(new RegExp(`live ${release('v2')} from=- by=\\S+ run=\\S+ [\\d.]+s ok$`));
  });

  it('a site nginx cannot take up (its port is taken) fails after the check, the old file back and the site as it was', async () => {
    // nginx -t does not bind ports; the master's reload then fails to bind 127.0.0.1:2222 (this
    // target's sshd) and keeps the old configuration. Only asking nginx afterwards finds that out.
    const nginx = { site: `${TARGET.nginxDir}/sites/${prefix}-taken.conf`, serverNames: [`${prefix}-taken.test`], listen: `${TARGET.host}:${TARGET.port}`, command: ['/usr/sbin/nginx', '-c', `${TARGET.nginxDir}/nginx.conf`, '-e', `${TARGET.nginxDir}/error.log`] };
    const c = new ReleaseCommands({ prefix: `${prefix}-taken`, stateDir, docker: ['docker'], nginx } as unknown as ReleaseSpec);
    const said: string[] = [];
    const started = Date.now();
    const err = await applySite(new Remote(conn, (l) => said.push(l)), c, `server {\n    listen ${nginx.listen};\n    server_name ${nginx.serverNames[0]};\n    return 200 "taken\\n";\n}\n`, { what: 'the test site' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    console.log(`[measure] a reload nginx did not take up: ${(err as Error).message}`);
    expect((err as Error).message).toMatch(/^\[127\.0\.0\.1\]:2222: nginx did not take up the test site within 10 s of the reload \(it answered: .+\)$/);
    // Asked for ~10 s (whole seconds of the host's clock) before giving up.
    expect(Date.now() - started).toBeGreaterThanOrEqual(8_000);
    expect((await conn.exec(['test', '-e', nginx.site])).code).toBe(1);
    expect(await get('/')).toEqual({ status: 200, body: 'v2\n' });
    expect((await conn.exec(['tail', '-n', '20', `${TARGET.nginxDir}/error.log`])).stdout).toMatch(/bind\(\) to 127\.0\.0\.1:2222 failed/);
  }, 60_000);

  it('maintenance while a deploy holds the lock is refused, naming the holder; the site keeps serving', async () => {
    const holder = await conn.start(['flock', `${stateDir}/lock`, 'sh', '-c', `echo 'deploy of x by someone@else, run held-${id}' > ${stateDir}/lock.holder; echo held; exec cat > /dev/null`]);
    expect(await holder.firstLine).toBe('held');
    const m = await day2('maintenance');
    await holder.end();
    expect(m.code).toBe(1);
    expect(m.stderr + m.stdout).toContain(`another deploy holds the lock: deploy of x by someone@else, run held-${id}`);
    expect(await get('/')).toEqual({ status: 200, body: 'v2\n' });
    expect((await conn.exec(['tail', '-n', '1', `${stateDir}/audit.log`])).stdout).toMatch(/ maintenance \(live\) from=- .* refused: the lock is held by deploy of x/);
  });

  it('werker plan names the day-2 commands, the cron history and the webhook', async () => {
    const r = await cli(['plan', project, '--pipeline', 'deploy', '--git-commit', commit.v2]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`    cron history: each run recorded (start, end, exit code, output tail, release) in ${stateDir}/cron/<job>.history, the last 3 per job`);
    expect(r.stdout).toContain('    cron failures: a failed run is POSTed as JSON to notify-webhook, from the host');
    expect(r.stdout).toContain('    day 2: werker release status [--json] | logs [-f] [--since T] [--grep RE] [--accessory ticker] [--cron JOB] | exec [-i] -- CMD | maintenance (503 with maintenance.html from the repository) | live');
    expect(r.stdout).not.toContain(hook.url);
  });

  it('each cron run is recorded (the last cron-history of them) and logs --cron shows the last run', async () => {
    for (let i = 0; i < 5; i++) expect((await runTick(manualJob!.name)).code).toBe(0);
    const j = await day2('status', '--json');
    const cron = (JSON.parse(j.stdout) as { hosts: { cron: { job: string; runs: Record<string, unknown>[] }[] }[] }).hosts[0]!.cron;
    const runs = cron.find((c) => c.job === manualJob!.name)!.runs;
    expect(runs).toHaveLength(3);
    expect(runs[2]).toMatchObject({ release: release('v2'), exitCode: 0, output: 'manual run in v2', notified: '-' });
    const logs = await day2('logs', '--cron', 'manual run');
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toBe('manual run in v2\n');
  });

  it('a failing job run by the real cron daemon shows in status with its exit code and reaches the webhook', async () => {
    // cron fires at the next minute boundary after the deploy installed the crontab.
    for (let i = 0; i < 80 && !hook.posts.length; i++) await sleep(1000);
    expect(hook.posts.length).toBeGreaterThan(0);
    const post = hook.posts[0]!;
    expect(post.type).toBe('application/json');
    expect(JSON.parse(post.body)).toMatchObject({
      event: 'cron.failed', app: prefix, job: failingJob!.name, schedule: '* * * * *', release: expect.stringMatching(new RegExp(`^${prefix}_`)), exitCode: 3,
      output: 'the nightly report broke', command: 'sh -c echo the nightly report broke; exit 3',
    });
    await sleep(1000);
    const r = await day2('status');
    expect(r.stdout).toMatch(new RegExp(`in ${prefix}_\\w+: FAILED, exit 3; \\d+ of the last \\d+ runs failed`));
    expect(r.stdout).toContain('| the nightly report broke');
    expect(r.stdout).toContain('reported to the webhook: HTTP 200');
  });
});

// --------------------------------------------------------------------------- helpers

async function buildAndPush(v: 'v1' | 'v2'): Promise<void> {
  const p = pack();
  p.entry({ name: 'Dockerfile' }, `FROM ${BUSYBOX}\nCOPY www /www\nCMD ["httpd", "-f", "-vv", "-p", "8080", "-h", "/www"]\n`);
  p.entry({ name: 'www/index.html' }, `${v}\n`);
  p.entry({ name: 'www/version' }, `${v}\n`);
  p.entry({ name: 'www/health' }, 'ok\n');
  p.finalize();
  await docker!.buildImage(Readable.from(p as unknown as AsyncIterable<Buffer>), { tag: `${image}:${commit[v]}`, labels: { 'werker.test': id } });
  await docker!.pushImage(image, commit[v], { auth: { username: REGISTRY.username, password: REGISTRY.password, serveraddress: REGISTRY.host } });
  await docker!.removeImage(`${image}:${commit[v]}`);
}

const get = (urlPath: string) => getThroughNginx(siteHost, urlPath);

/** `docker logs` processes on the host that follow this test's live release. */
async function followers(): Promise<string> {
  return (await conn.exec(['pgrep', '-a', '-f', `docker logs .*${release('v2')}`])).stdout.trim();
}

async function tickerFollowers(): Promise<string> {
  return (await conn.exec(['pgrep', '-a', '-f', `docker logs .*--follow.* ${prefix}-ticker`])).stdout.trim();
}

/** One tick as cron runs it: from the home directory, through the runner script. */
function runTick(job: string) {
  return conn.exec(['sh', '-c', 'cd && exec "$1"', 'sh', `${stateDir}/cron/${job}.sh`]);
}

/** A webhook receiver on loopback that records every request. */
async function startWebhook(): Promise<{ server: Server; url: string; posts: { type: string; body: string }[] }> {
  const posts: { type: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'POST') posts.push({ type: req.headers['content-type'] ?? '', body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/cron`, posts };
}

async function cleanup(): Promise<void> {
  if (hook) await new Promise((r) => hook.server.close(r));
  for (const label of ['werker.release', 'werker.accessory']) {
    const found = await docker!.listLabelled(label, prefix);
    await Promise.all(found.containers.map((c) => docker!.removeContainer(c.id, { force: true })));
  }
  await docker!.removeNetwork(prefix).catch(() => undefined);
  for (const tag of Object.values(commit)) await docker!.removeImage(`${image}:${tag}`).catch(() => undefined);
  if (conn) {
    await removeCronBlock(conn, prefix);
    await conn.exec(['rm', '-rf', `${TARGET.nginxDir}/sites/${prefix}.conf`, stateDir]);
    await conn.exec(['rmdir', '.werker']);
    await conn.exec(['/usr/sbin/nginx', '-c', `${TARGET.nginxDir}/nginx.conf`, '-e', `${TARGET.nginxDir}/error.log`, '-s', 'reload']);
    conn.close();
  }
  await deleteRegistryTags(repo, Object.values(commit));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

