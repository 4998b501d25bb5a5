import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import type { SshConnection } from '../../src/runtime/ssh/connection.ts';
import { fixture, runCli, spawnCli, type CliResult } from '../helpers/cli.ts';
import { deployHosts, HOSTS, startHosts, stopSshd } from '../helpers/deploy-hosts.ts';
import { requireDocker } from '../helpers/docker.ts';
import { deleteRegistryTags, REGISTRY } from '../helpers/registry.ts';
import { freePorts, startLoad, type Page } from '../helpers/site-load.ts';

/**
 * Several servers, end to end: the real CLI deploys over two real sshds, each in its own network
 * namespace with its own Docker Engine and nginx (scripts/setup-deploy-hosts.sh), in batches,
 * while clients request the site through host 1's nginx, which balances across both hosts.
 */
const docker: DockerRuntime | undefined = await requireDocker();
const hosts = docker ? deployHosts() : undefined;

const id = randomBytes(3).toString('hex');
const prefix = `werker-hosts-${id}`;
const repo = `werker-it/release-hosts-${id}`;
const image = `${REGISTRY.host}/${repo}`;
const siteHost = `${prefix}.test`;
const stateDir = `.werker/${prefix}`;
const flags = `${HOSTS.home}/flags-${id}`;
const commit = { v1: '1'.repeat(40), v2: '2'.repeat(40), v3: '3'.repeat(40), v4: '4'.repeat(40) };
type Version = keyof typeof commit;
const release = (v: Version) => `${prefix}_${commit[v].slice(0, 7)}`;
const [h1, h2] = HOSTS.addresses;

const conns: SshConnection[] = [];
let workDir: string;
const outputs: string[] = [];

describe.skipIf(!docker || !hosts)('internal/release to several hosts, in batches, balanced', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'werker-hosts-'));
    await startHosts();
    conns.push(await hosts!.connect(1), await hosts!.connect(2));
    // Host 2's health check fails while this directory holds `fail-health` (each host has its own home).
    for (const c of conns) await c.exec(['mkdir', '-p', flags]);
    const [p1, p2] = await freePorts(2);
    env = {
      X_DEPLOY_HOSTS: `${h1} ${h2}`, X_DEPLOY_KEY_PRIVATE: hosts!.key, X_DEPLOY_KNOWN_HOSTS: hosts!.knownHosts,
      X_RELEASE_IMAGE: image, X_RELEASE_PREFIX: prefix, X_REGISTRY_USER: REGISTRY.username, XXX_REGISTRY_PASSWORD: REGISTRY.password,
      X_RELEASE_PORTS: `${p1} ${p2}`, X_NGINX_DIR: HOSTS.nginxDir, X_HEALTH_TIMEOUT: '8', X_RELEASE_VOLUMES: `${flags}:/flags:ro`,
      X_RELEASE_WATCH: '', X_RELEASE_BATCH: '', X_RELEASE_BALANCE: `front=${h1}`,
    };
    await Promise.all((Object.keys(commit) as Version[]).map((v) => buildAndPush(v)));
  }, 240_000);

  afterAll(async () => {
    if (!docker || !hosts) return;
    await cleanup();
    for (const o of outputs) expect(o).not.toContain(REGISTRY.password);
  }, 120_000);

  const args = (v: Version) => ['deploy', fixture('release-hosts'), '--working-dir', workDir, '--git-commit', commit[v]];
  const deploy = async (v: Version, extra: Record<string, string> = {}): Promise<CliResult> => {
    const r = await runCli(args(v), { env: { ...env, ...extra } });
    outputs.push(r.stdout + r.stderr);
    return r;
  };
  it('werker plan shows the batches and the balancing steps', async () => {
    const r = await runCli(['plan', fixture('release-hosts'), '--pipeline', 'deploy', '--git-commit', commit.v1], { env: { ...env, X_RELEASE_BATCH: '50%' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`    rollout: batch: 50% of 2 hosts → 1 at a time, 2 batches`);
    expect(r.stdout).toContain(`      batch 2: ${h2}:22`);
    expect(r.stdout).toContain(`    balance: nginx on ${h1}:22 balances across every host's live release`);
    expect(r.stdout).toContain('# (before a batch switches, on each balancing host, its hosts out of the upstream:)');
  });

  it('a bad batch value names file:line:col and the option', async () => {
    const r = await runCli(['plan', fixture('release-hosts'), '--pipeline', 'deploy', '--git-commit', commit.v1], { env: { ...env, X_RELEASE_BATCH: 'half' } });
    expect(r.stdout).toMatch(/✗ \S+release-hosts\/wercker\.yml:25:9 deploy\.internal\/release\.batch: "half" is not a number of hosts/);
  });

  it('deploys v1 to both hosts, each over its own SSH into its own engine; host 1 balances across both', async () => {
    const r = await deploy('v1');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`[${h1}:22] took the deploy lock on ${h1}`);
    expect(r.stdout).toContain(`[${h2}:22] took the deploy lock on ${h2}`);
    for (const [i, c] of conns.entries()) {
      const engine = await c.exec(['docker', 'info', '--format', '{{.DockerRootDir}}']);
      expect(engine.stdout.trim()).toBe(`${HOSTS.root}/host${i + 1}/docker`);
      expect((await c.exec(['docker', 'inspect', '--format', '{{.State.Status}}', release('v1')])).stdout.trim()).toBe('running');
      expect((await c.exec(['cat', `${stateDir}/live`])).stdout.trim()).toBe(release('v1'));
    }
    const answered = new Set<string>();
    for (let i = 0; i < 12; i++) answered.add((await get()).body);
    expect(new Set([...answered].map((b) => b.split(' ')[0]))).toEqual(new Set(['v1']));
    expect(new Set([...answered].map((b) => b.split(' ')[1])).size, [...answered].join(',')).toBe(2);
  }, 120_000);

  it('v2 with batch: 50% (one host at a time) under load through the balancing nginx: 0 failed requests, both hosts on v2', async () => {
    const load = startLoad(get, (p) => /^v\d /.exec(p.body)?.[0].trim(), { pauseMs: 10, maxMs: 90_000 });
    await sleep(500);
    const r = await deploy('v2', { X_RELEASE_BATCH: '50%' });
    await sleep(500);
    const s = await load.stop();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('batch: 50% of 2 hosts → 1 at a time, 2 batches');
    expect(r.stdout).toContain(`batch 2 of 2: ${h2}:22`);
    expect(r.stdout).toMatch(new RegExp(`balancer on ${h1} \\(${h1}:22 out while switching\\): upstream ${h2}:22 \\(${release('v1')}`));
    expect(r.stdout).toContain(`  ${h2}:22: new release ${release('v2')} live; lock released; audit line written`);
    expect(s.failures, `${s.failed} failed of ${s.ok + s.failed}`).toEqual([]);
    expect(s.ok).toBeGreaterThan(100);
    expect(s.seen).toEqual(new Set(['v1', 'v2']));
    for (const c of conns) {
      expect((await c.exec(['cat', `${stateDir}/live`])).stdout.trim()).toBe(release('v2'));
      expect((await c.exec(['docker', 'inspect', '--format', '{{.State.Status}}', release('v1')])).stdout.trim()).toBe('exited');
      expect(await lastAudit(c)).toMatch(new RegExp(`deploy ${release('v2')} from=${release('v1')} .* ok$`));
    }
    console.log(`[bench] two hosts, batch 1, balanced: ${s.ok} requests through the front nginx during the rollout, ${s.failed} failed`);
  }, 120_000);

  it('werker release status reports each host: v2 live, v1 previous', async () => {
    const r = await runCli(['release', 'status', fixture('release-hosts'), '--working-dir', workDir, '--pipeline', 'deploy', '--json'], { env: { ...env, X_RELEASE_WATCH: '' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const found = (JSON.parse(r.stdout) as { hosts: { host: string; live?: { name: string }; previous?: { name: string } }[] }).hosts;
    expect(found.map((h) => [h.host, h.live?.name, h.previous?.name])).toEqual([[h1, release('v2'), release('v1')], [h2, release('v2'), release('v1')]]);
  });

  it('v3 failing its health check on host 2 only: batch 2 fails, host 1 goes back, both serve v2', async () => {
    await conns[1]!.exec(['touch', `${flags}/fail-health`]);
    const load = startLoad(get, (p) => /^v\d /.exec(p.body)?.[0].trim(), { pauseMs: 10, maxMs: 90_000 });
    const r = await deploy('v3', { X_HEALTH_TIMEOUT: '3' });
    const s = await load.stop();
    await conns[1]!.exec(['rm', '-f', `${flags}/fail-health`]);
    const text = r.stdout + r.stderr;
    expect(r.code, text).toBe(1);
    expect(text).toContain(`${h2}: ${release('v3')} was not healthy within 3s`);
    expect(text).toContain('hosts now:');
    expect(text).toContain(`  ${h1}:22: old release ${release('v2')} live; switched back from ${release('v3')}; lock released; audit line written`);
    expect(text).toContain(`  ${h2}:22: old release ${release('v2')} live; lock released; audit line written`);
    expect(s.failures, `${s.failed} failed of ${s.ok + s.failed}`).toEqual([]);
    for (const c of conns) {
      expect((await c.exec(['cat', `${stateDir}/live`])).stdout.trim()).toBe(release('v2'));
      expect((await c.exec(['flock', '-n', `${stateDir}/lock`, 'true'])).code).toBe(0);
    }
    expect(await lastAudit(conns[0]!)).toMatch(new RegExp(`deploy ${release('v3')} from=${release('v2')} .* failed: the rollout stopped \\(.*\\); switched back to ${release('v2')}$`));
    expect(await lastAudit(conns[1]!)).toMatch(new RegExp(`deploy ${release('v3')} from=${release('v2')} .* failed: .*was not healthy within 3s`));
    const bodies = new Set<string>();
    for (let i = 0; i < 8; i++) bodies.add((await get()).body.split(' ')[0]!);
    expect(bodies).toEqual(new Set(['v2']));
  }, 120_000);

  it('a lock held on host 2: refused before anything changed, host 1 let go untouched', async () => {
    const holder = await conns[1]!.start(['flock', '-n', `${stateDir}/lock`, 'sh', '-c', `echo held > ${stateDir}/lock.holder; echo locked; exec cat >/dev/null`]);
    expect(await holder.firstLine).toBe('locked');
    const r = await deploy('v4');
    await holder.end();
    const text = r.stdout + r.stderr;
    expect(r.code, text).toBe(1);
    expect(text).toContain(`${h2}: another deploy holds the lock: held`);
    expect(text).toContain(`  ${h1}:22: not changed (what it served before still serves); lock released; audit line written`);
    expect(text).toContain(`  ${h2}:22: not locked, not changed`);
    expect((await conns[0]!.exec(['cat', `${stateDir}/live`])).stdout.trim()).toBe(release('v2'));
    expect((await conns[0]!.exec(['flock', '-n', `${stateDir}/lock`, 'true'])).code).toBe(0);
    expect((await conns[0]!.exec(['docker', 'inspect', release('v4')])).code).not.toBe(0);
    expect(await lastAudit(conns[0]!)).toMatch(new RegExp(`deploy ${release('v4')} from=- .* not started: .*another deploy holds the lock: held$`));
  }, 60_000);

  it('host 2 sshd killed mid-deploy: host 1 goes back to v2, the message says what each host is in', async () => {
    // Host 2's gate fails until its sshd is gone, so the kill lands in the middle of its switch.
    await conns[1]!.exec(['touch', `${flags}/fail-health`]);
    const run = spawnCli(args('v4'), { env: { ...env, X_HEALTH_TIMEOUT: '20' } });
    let out = '';
    let killed = false;
    run.child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (!killed && out.includes(`[${h2}:22] health check`)) {
        killed = true;
        void stopSshd(2);
      }
    });
    const r = await run.done.finally(() => startHosts());
    outputs.push(r.stdout + r.stderr);
    const text = r.stdout + r.stderr;
    expect(killed, text).toBe(true);
    expect(text).toContain(`${h2}:22: lost SSH during the switch`);
    expect(r.code, text).toBe(1);
    expect(text).toContain(`  ${h1}:22: old release ${release('v2')} live; switched back from ${release('v4')}; lock released; audit line written`);
    expect(text).toMatch(new RegExp(`  ${h2.replace(/\./g, '\\.')}:22: old release ${release('v2')} live; SSH lost: .*; lock went with the dropped connection; no audit line`));
    expect((await conns[0]!.exec(['cat', `${stateDir}/live`])).stdout.trim()).toBe(release('v2'));
    const bodies = new Set<string>();
    for (let i = 0; i < 8; i++) bodies.add((await get()).body.split(' ')[0]!);
    expect(bodies).toEqual(new Set(['v2']));
    conns[1]!.close();
    conns[1] = await hosts!.connect(2);
    await conns[1]!.exec(['rm', '-f', `${flags}/fail-health`]);
    expect((await conns[1]!.exec(['cat', `${stateDir}/live`])).stdout.trim()).toBe(release('v2'));
    expect((await conns[1]!.exec(['flock', '-n', `${stateDir}/lock`, 'true'])).code).toBe(0);
  }, 120_000);
});

// --------------------------------------------------------------------------- helpers

/** busybox httpd with CGI: `/cgi-bin/v` answers `<version> <container hostname>`; the health check fails where /flags/fail-health exists. */
function appFiles(version: string): Record<string, string> {
  return {
    Dockerfile: 'FROM werker-test/busybox:latest\nCOPY www /www\nRUN chmod 755 /www/cgi-bin/v /www/cgi-bin/health\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
    'www/cgi-bin/v': `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n${version} %s\\n' "$(hostname)"\n`,
    'www/cgi-bin/health': "#!/bin/sh\nif [ -e /flags/fail-health ]; then printf 'Status: 500 Internal Server Error\\r\\n\\r\\nfailing on purpose\\n'; exit 0; fi\nprintf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'\n",
  };
}

async function buildAndPush(v: Version): Promise<void> {
  const p = pack();
  for (const [name, text] of Object.entries(appFiles(v))) p.entry({ name, mode: name.includes('cgi-bin') ? 0o755 : 0o644 }, text);
  p.finalize();
  await docker!.buildImage(Readable.from(p as unknown as AsyncIterable<Buffer>), { tag: `${image}:${commit[v]}`, labels: { 'werker.test': id } });
  await docker!.pushImage(image, commit[v], { auth: { username: REGISTRY.username, password: REGISTRY.password, serveraddress: REGISTRY.host } });
  await docker!.removeImage(`${image}:${commit[v]}`);
}

/** One GET through host 1's nginx (the balancing front), a new connection each time. */
function get(): Promise<Page> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: h1, port: HOSTS.nginxPort, path: '/cgi-bin/v', headers: { host: siteHost }, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

async function lastAudit(c: SshConnection): Promise<string> {
  return (await c.exec(['cat', `${stateDir}/audit.log`])).stdout.trim().split('\n').at(-1)!;
}

async function cleanup(): Promise<void> {
  for (const c of conns) {
    const names = (await c.exec(['docker', 'ps', '--all', '--filter', `label=werker.release=${prefix}`, '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean);
    if (names.length) await c.exec(['docker', 'rm', '--force', ...names]);
    await c.exec(['docker', 'network', 'rm', prefix]);
    await c.exec(['sh', '-c', 'docker images --format "{{.Repository}}:{{.Tag}}" | grep -F "$1" | xargs -r docker rmi', 'sh', repo]);
    await c.exec(['rm', '-rf', `${HOSTS.nginxDir}/sites/${prefix}.conf`, stateDir, flags]);
    await c.exec(['rmdir', '.werker']);
    await c.exec(['/usr/sbin/nginx', '-c', `${HOSTS.nginxDir}/nginx.conf`, '-e', `${HOSTS.nginxDir}/error.log`, '-s', 'reload']);
    c.close();
  }
  await deleteRegistryTags(repo, Object.values(commit));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}
