import { describe, expect, it } from 'vitest';
import { FakeServer, PROBE, type Answer } from '../../test/fakes/fake-remote-shell.ts';
import { SshError } from '../errors.ts';
import { nginxSiteText } from './nginx-site.ts';
import { locateOptionErrors } from './option-errors.ts';
import { plannedCommands } from './plan-lines.ts';
import { deployRelease } from './release.ts';
import { parseReleaseOptions } from './release-options.ts';
import type { ReleaseSpec } from './release-spec.ts';

const base = {
  hosts: '10.0.0.5', 'ssh-key': 'k', 'known-hosts': 'kh', image: 'reg/app', tag: 'v2', prefix: 'app', 'app-port': '80', 'release-ports': '8001 8002',
  'nginx-site': '/etc/nginx/sites/app.conf',
};
const parse = (extra: Record<string, string>) => parseReleaseOptions({ raw: { ...base, ...extra }, lookup: () => undefined });

describe('watch options', () => {
  it('watch: 60 counts 5xx at 5% by default in the site\'s own access log; off counts nothing', () => {
    const r = parse({ watch: '60' });
    expect(r.ok && r.spec.watch).toEqual({ seconds: 60, max5xxPercent: 5, accessLog: '/var/log/nginx/app.werker.log' });
    const off = parse({ watch: '30', 'watch-5xx': 'off' });
    expect(off.ok && off.spec.watch).toEqual({ seconds: 30 });
    const custom = parse({ watch: '30', 'watch-5xx': '0.5%', 'nginx-access-log': '/srv/log/app.log', 'health-forwarded-proto': 'https' });
    expect(custom.ok && [custom.spec.watch, custom.spec.health.forwardedProto]).toEqual([{ seconds: 30, max5xxPercent: 0.5, accessLog: '/srv/log/app.log' }, 'https']);
    expect(parse({}).ok && (parse({}) as { spec: ReleaseSpec }).spec.watch).toBeUndefined();
  });

  it('bad values are refused with the option named', () => {
    const r = parse({ watch: 'a minute', 'health-forwarded-proto': 'ftp' });
    expect(r.ok ? [] : r.errors).toEqual(['health-forwarded-proto: "ftp" must be http or https', 'watch: "a minute" is not a whole number of seconds (e.g. watch: 60; 0 turns the watch off)']);
    const rate = parse({ watch: '60', 'watch-5xx': '150%', 'nginx-access-log': 'rel/log' });
    expect(rate.ok ? [] : rate.errors).toEqual(['watch-5xx: "150%" is not a share of answers (e.g. 5% or 0.5%; off counts nothing)']);
    const noWindow = parse({ 'watch-5xx': '5%' });
    expect(noWindow.ok ? [] : noWindow.errors).toEqual(['watch-5xx needs watch (the window, in seconds, the 5xx answers are counted over)']);
    // watch: $WATCH set to 0 turns the watch off, watch-5xx with it.
    const off = parse({ watch: '0', 'watch-5xx': '5%' });
    expect(off.ok && off.spec.watch).toBeUndefined();
  });

  it('errors name file:line:col and the option\'s key path', () => {
    const step = { at: { line: 4, col: 7 }, propertyAt: { watch: { line: 12, col: 9 } } };
    expect(locateOptionErrors(['watch: "soon" is not a whole number', 'hosts is required'], 'wercker.yml', 'deploy', step)).toEqual([
      'wercker.yml:12:9 deploy.internal/release.watch: "soon" is not a whole number',
      'wercker.yml:4:7 deploy.internal/release: hosts is required',
    ]);
  });

  it('the site logs the upstream address and status per request; werker plan shows the window', () => {
    const r = parse({ watch: '60' });
    if (!r.ok) throw new Error(r.errors.join());
    const site = nginxSiteText(r.spec, 'app_v2', 8002);
    expect(site).toContain("log_format werker_app_watch '$msec $upstream_addr $status';");
    expect(site).toContain('    access_log /var/log/nginx/app.werker.log werker_app_watch;');
    const plan = plannedCommands(r.spec).join('\n');
    expect(plan).toContain('# (watch 60s, <live release> still running:');
    expect(plan).toContain('more than 5% 5xx fails it');
    expect(nginxSiteText(parse({}).ok ? (parse({}) as { spec: ReleaseSpec }).spec : r.spec, 'app_v2', 8002)).not.toContain('access_log');
  });
});

const spec: ReleaseSpec = {
  hosts: [{ host: 'srv', port: 22 }], user: 'u', sshKey: 'k', knownHosts: 'kh', image: 'reg/app', tag: 'v2', release: 'app_v2', prefix: 'app',
  stateDir: 's', docker: ['docker'], network: 'app', appPort: 80, releasePorts: [8001, 8002], ports: [], volumes: [], env: [], restart: 'always',
  health: { path: '/up', timeoutSec: 5 }, drainSec: 0, stopTimeoutSec: 1, keep: 3, accessories: [], cron: [],
  nginx: { site: '/etc/nginx/app.conf', serverNames: ['app'], listen: '80', command: ['nginx'] },
  watch: { seconds: 8, max5xxPercent: 5, accessLog: '/var/log/app.log' },
};
const actor = { runId: 'run-1', who: 'me@laptop' };
const OK = { stdout: '200 0.002 \nok\n' };

/** app_v1 live on 8001; the probe of the new release (8002) answers as `probe8002` says, its nginx answers as `counts` says. */
function server(probe8002: () => Answer, counts: () => string = () => '0 0', extra: Record<string, Answer | ((stdin?: string) => Answer)> = {}) {
  const audit: string[] = [];
  const s = new FakeServer({
    'cat s/live': { stdout: 'app_v1\n' },
    'cat s/previous': { stdout: 'app_v0\n' },
    'docker inspect --type container --format {{.State.Status}} {{index .Config.Labels "werker.port"}} app_v1': { stdout: 'running 8001\n' },
    'docker inspect --type container --format {{.State.Status}} {{index .Config.Labels "werker.port"}} app_v2': { code: 1 },
    'docker inspect --type container --format {{.State.Status}} {{.State.ExitCode}}': { stdout: 'running 0\n' },
    'docker inspect --type container --format {{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}': { stdout: 'running 0 false 0\n' },
    'docker ps --all': { stdout: 'app_v2\napp_v1\napp_v0\n' },
    'docker logs': { stdout: 'boom: database is gone\n' },
    'cat /etc/nginx/app.conf': { stdout: 'old site' },
    [PROBE]: OK,
    'sh -c if [ -e "$1" ]; then wc -c': { stdout: '1234\n' },
    'sh -c if [ ! -e "$1" ]': () => ({ stdout: `${counts()}\n` }),
    'tee -a s/audit.log': (stdin) => (audit.push(stdin ?? ''), undefined),
    ...extra,
  });
  const probeOf = (line: string) => (line.endsWith(':8002/up') ? probe8002() : OK);
  const exec = s.exec.bind(s);
  s.exec = async (argv, opts) => (argv[0] === 'sh' && argv[2]?.startsWith('b=$(mktemp)') ? (s.ran.push(argv.join(' ')), { code: 0, stdout: '', stderr: '', ...probeOf(argv.join(' ')) }) : exec(argv, opts));
  return { s, audit };
}
const io = () => {
  const lines: string[] = [];
  return { lines, print: (l: string) => lines.push(l) };
};

describe('the watch window', () => {
  it('a release that passes its gate, then fails its checks, is switched back: nginx, pointers, the new one stopped; the step says why', async () => {
    let probes = 0;
    const { s, audit } = server(() => (++probes <= 1 ? OK : { stdout: '500 0.003 \nInternal Server Error\n' }));
    const err = await deployRelease(s, spec, actor, io()).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^srv: app_v2 failed its watch after \d\.\ds of 8s: 3 health checks in a row failed, the last GET \/up: 500 in 3 ms, body "Internal Server Error"/);
    expect((err as Error).message).toContain('  last log lines:\n    boom: database is gone');
    expect((err as Error).message).toContain('switched back: app_v1 serves again; app_v2 is stopped and kept for a look');
    const sites = s.ran.filter((l) => l.startsWith('install -m 644 /dev/stdin /etc/nginx/app.conf'));
    expect(sites).toHaveLength(2);
    const i = (l: string) => s.ran.lastIndexOf(l);
    expect(i('nginx -s reload')).toBeLessThan(i('docker stop --time 1 app_v2'));
    expect(s.ran).not.toContain('docker stop --time 1 app_v1');
    expect(audit[0]).toMatch(/ deploy app_v2 from=app_v1 .* failed: watch: 3 health checks in a row failed.*; switched back to app_v1\n$/);
  });

  it('5xx answers through nginx above the limit fail it, saying how many of how many', async () => {
    let reads = 0;
    const { s, audit } = server(() => OK, () => (++reads < 2 ? '40 0' : '100 7'));
    const err = await deployRelease(s, spec, actor, io()).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/failed its watch after .*: 7 of 100 answers of the new release were 5xx \(7\.0%, limit 5%\)/);
    expect(s.ran.some((l) => l.startsWith('sh -c if [ ! -e "$1" ]') && l.endsWith('/var/log/app.log 1234 127.0.0.1:8002'))).toBe(true);
    expect(audit[0]).toContain('switched back to app_v1');
  });

  it('a release that stays healthy passes, and the old one is retired after the window', async () => {
    const out = io();
    const { s, audit } = server(() => OK, () => '50 1');
    await deployRelease(s, { ...spec, watch: { ...spec.watch!, seconds: 2 } }, actor, out);
    expect(out.lines).toContain('app_v2 passed its 2s watch: 1 of 50 answers of the new release were 5xx (2.0%, limit 5%)');
    expect(s.ran).toContain('docker stop --time 1 app_v1');
    expect(audit[0]).toMatch(/ ok\n$/);
  });

  it('Ctrl-C during the watch: the new release stays live, the old one is stopped, the audit line says so, the lock goes', async () => {
    const cancel = new AbortController();
    let held = false;
    let probes = 0;
    const { s, audit } = server(() => (++probes === 2 && cancel.abort(), OK));
    const err = await deployRelease(s, spec, actor, { ...io(), signal: cancel.signal, holdConnection: () => (held = true) }).catch((e: Error) => e);
    expect(err).toMatchObject({ exitCode: 130 });
    expect((err as Error).message).toMatch(/the release's watch was cancelled after .*; app_v2 stays live on srv; app_v1 is stopped and kept/);
    expect(held).toBe(true);
    expect(s.ran).toContain('docker stop --time 1 app_v1');
    expect(s.ran.filter((l) => l.startsWith('install -m 644 /dev/stdin /etc/nginx/app.conf'))).toHaveLength(1);
    expect(audit[0]).toMatch(/cancelled: the watch was stopped after .*; app_v2 stays live\n$/);
    expect(s.ran.at(-1)).toBe('(unlock)');
  });

  it('a refused probe names the port the container listens on', async () => {
    const refused = { code: 7, stdout: '000 0.000 \n', stderr: 'curl: (7) Failed to connect to 127.0.0.1 port 8002 after 0 ms: Couldn\'t connect to server' };
    const { s } = server(() => refused, () => '0 0', { 'docker exec app_v2 cat /proc/net/tcp': { stdout: '   0: 00000000:0BB8 00000000:0000 0A 0 0 0\n' } });
    const err = await deployRelease(s, { ...spec, health: { path: '/up', timeoutSec: 1 } }, actor, io()).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^srv: app_v2 was not healthy within 1s \(last check: GET \/up: no answer: curl: \(7\)/);
    expect((err as { hint?: string }).hint).toBe('nothing listens on app-port 80; the container listens on 0.0.0.0:3000: set app-port to the app\'s port, or make the app listen on 80');
  });

  it('a host that drops SSH during the watch: the message says nginx is on the new release and the old one still runs', async () => {
    let probes = 0;
    const { s } = server(() => {
      if (++probes === 2) throw new SshError('srv', 'exec', 'sh: the connection closed');
      return OK;
    });
    const err = await deployRelease(s, spec, actor, io()).catch((e: Error) => e);
    expect((err as Error).message).toBe('srv: lost SSH during the watch of app_v2 (srv (exec): sh: the connection closed); nginx sends traffic to app_v2, app_v1 is still running, not retired: `werker rollback` returns to it');
    expect(s.ran).not.toContain('docker stop --time 1 app_v1');
  });

  it('a first deploy that fails its watch has nothing to switch back to: the step fails, the release stays live', async () => {
    const { s, audit } = server(() => OK, () => '0 0', { 'cat s/live': { code: 1 } });
    let probes = 0;
    const exec = s.exec.bind(s);
    // With nothing live the release takes the first port (8001); the gate's probe passes, every later one fails.
    s.exec = async (argv, opts) => (argv[2]?.startsWith('b=$(mktemp)') ? (s.ran.push(argv.join(' ')), { code: 0, stderr: '', ...(probes++ === 0 ? OK : { stdout: '503 0.001 \nstarting\n' }) }) : exec(argv, opts));
    const err = await deployRelease(s, spec, actor, io()).catch((e: Error) => e);
    expect((err as Error).message).toContain('there was no release before it to switch back to: app_v2 stays live');
    expect(s.ran.filter((l) => l.startsWith('install -m 644 /dev/stdin /etc/nginx/app.conf'))).toHaveLength(1);
    expect(audit[0]).toMatch(/failed: watch: 3 health checks in a row failed.*; nothing to switch back to, app_v2 stays live\n$/);
  });
});
