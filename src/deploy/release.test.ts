import { describe, expect, it } from 'vitest';
import { FakeServer, PROBE, type Answer } from '../../test/fakes/fake-remote-shell.ts';
import { deployRelease, rollbackRelease } from './release.ts';
import type { ReleaseSpec } from './release-spec.ts';

const spec: ReleaseSpec = {
  hosts: [{ host: 'srv', port: 22 }], user: 'u', sshKey: 'k', knownHosts: 'kh', image: 'reg/app', tag: 'v2', release: 'app_v2', prefix: 'app',
  stateDir: 's', docker: ['docker'], network: 'app', appPort: 80, releasePorts: [8001, 8002], ports: [], volumes: [], env: [], restart: 'always',
  health: { path: '/up', timeoutSec: 1 }, drainSec: 0, stopTimeoutSec: 1, keep: 1, accessories: [], cron: [{ name: 'tick', schedule: '* * * * *', command: ['tick'] }],
  nginx: { site: '/etc/nginx/app.conf', serverNames: ['app'], listen: '80', command: ['nginx'] },
};
const actor = { runId: 'run-1', who: 'me@laptop' };
const io = () => {
  const lines: string[] = [];
  return { lines, print: (l: string) => lines.push(l) };
};
/** A server where app_v1 is live on 8001 and app_v0 is an older stopped release. */
const liveV1 = (extra: Record<string, Answer | ((stdin?: string) => Answer)> = {}) => new FakeServer({
  'cat s/live': { stdout: 'app_v1\n' },
  'cat s/previous': { stdout: 'app_v0\n' },
  'docker inspect --type container --format {{.State.Status}} {{index .Config.Labels "werker.port"}} app_v1': { stdout: 'running 8001\n' },
  'docker inspect --type container --format {{.State.Status}} {{index .Config.Labels "werker.port"}} app_v0': { stdout: 'exited 8002\n' },
  'docker inspect --type container --format {{.State.Status}} {{index .Config.Labels "werker.port"}} app_v2': { code: 1 },
  'docker inspect --type container --format {{.State.Status}} {{.State.ExitCode}}': { stdout: 'running 0\n' },
  'docker ps --all': { stdout: 'app_v2\napp_v1\napp_v0\napp_old\n' },
  'cat /etc/nginx/app.conf': { stdout: 'old site' },
  [PROBE]: { stdout: '200 0.002 \nok\n' },
  ...extra,
});
const names = (s: FakeServer) => s.ran.map((l) => l.split(' ').slice(0, 3).join(' '));

describe('deployRelease', () => {
  it('starts the new release on the free port, gates, switches, then retires the old one', async () => {
    const s = liveV1();
    await deployRelease(s, spec, actor, io());
    const at = (prefix: string) => s.ran.findIndex((l) => l.startsWith(prefix));
    expect(s.ran).toContain('docker run --detach --name app_v2 --network app --restart always --env-file s/env/app_v2.env --label werker.release=app --label werker.version=v2 --label werker.port=8002 --publish 127.0.0.1:8002:80 reg/app:v2');
    const order = ['docker run --detach --name app_v2', PROBE, 'install -m 644 /dev/stdin /etc/nginx/app.conf', 'nginx -t', 'nginx -s reload',
      'install -m 644 /dev/stdin s/previous.new', 'install -m 644 /dev/stdin s/live.new', 'mv -f s/live.new s/live', 'crontab -',
      'flock --wait', 'docker update --restart no app_v1', 'docker stop --time 1 app_v1', 'docker rm app_v0', 'tee -a s/audit.log', '(unlock)'];
    const idx = order.map(at);
    expect(idx.every((i) => i >= 0), JSON.stringify(order.filter((_, i) => idx[i]! < 0))).toBe(true);
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    // keep-releases 1: the previous release (app_v1 now) is kept, older ones go.
    expect(s.ran.filter((l) => l.startsWith('docker rm '))).toEqual(['docker rm app_v0', 'docker rm app_old']);
  });

  it('a failing health check removes the new release and touches neither nginx nor the pointers', async () => {
    const s = liveV1({ [PROBE]: { stdout: '503 0.004 \nService Unavailable\n' } });
    const out = io();
    await expect(deployRelease(s, spec, actor, out)).rejects.toThrow('srv: app_v2 was not healthy within 1s (last check: GET /up: 503 in 4 ms, body "Service Unavailable")');
    expect(s.ran.some((l) => l.includes('/etc/nginx/app.conf') && l.startsWith('install'))).toBe(false);
    expect(s.ran.some((l) => l.includes('s/live.new'))).toBe(false);
    expect(s.ran.some((l) => l.startsWith('docker stop'))).toBe(false);
    expect(s.ran).toContain('docker rm --force app_v2');
    expect(names(s).slice(-2)).toEqual(['tee -a s/audit.log', '(unlock)']);
    expect(out.lines).toContain('app_v2 did not become live; removing it (app_v1 keeps serving)');
  });

  it('a site nginx rejects is put back, and the release fails before any traffic moved', async () => {
    let written = '';
    const s = liveV1({ 'nginx -t': { code: 1, stderr: 'nginx: [emerg] unexpected ";"' }, 'install -m 644 /dev/stdin /etc/nginx/app.conf': (stdin) => ((written = stdin ?? ''), undefined) });
    await expect(deployRelease(s, spec, actor, io())).rejects.toThrow('nginx rejected the new site');
    expect(written).toBe('old site\n');
    expect(s.ran).not.toContain('nginx -s reload');
    expect(s.ran).toContain('docker rm --force app_v2');
  });

  it('stops at a held lock, naming the holder, and notes the refusal in the audit log', async () => {
    let audit = '';
    const s = liveV1({ 'flock -n': { code: 75 }, 'cat s/lock.holder': { stdout: 'deploy of app_v9 by ci@runner, run r-9, since 2024-01-01T00:00:00Z\n' }, 'tee -a': (stdin) => ((audit = stdin ?? ''), undefined) });
    await expect(deployRelease(s, spec, actor, io())).rejects.toThrow('srv: another deploy holds the lock: deploy of app_v9 by ci@runner, run r-9, since 2024-01-01T00:00:00Z');
    expect(s.ran.some((l) => l.startsWith('docker pull'))).toBe(false);
    expect(audit).toMatch(/^\S+ deploy app_v2 from=- by=me@laptop run=run-1 0\.0s refused: the lock is held by deploy of app_v9/);
  });
});

describe('accessories', () => {
  const db = { name: 'db', container: 'app-db', alias: 'db', image: 'postgis', env: [], volumes: [], ports: [], cmd: [], hash: 'h1', wait: { cmd: 'pg_isready -h 127.0.0.1', timeoutSec: 1 } };

  it('a new accessory is ready (its wait command passes) before the release starts', async () => {
    let checks = 0;
    const s = liveV1({
      'docker inspect --type container --format {{.State.Status}} {{index .Config.Labels "werker.accessory.hash"}} app-db': { code: 1 },
      'docker exec app-db sh -c pg_isready -h 127.0.0.1': () => (++checks < 2 ? { code: 2, stderr: 'no response' } : undefined),
    });
    const out = io();
    await deployRelease(s, { ...spec, accessories: [db] }, actor, out);
    const i = (prefix: string) => s.ran.findIndex((l) => l.startsWith(prefix));
    expect(i('docker run --detach --name app-db')).toBeLessThan(i('docker exec app-db'));
    expect(s.ran.filter((l) => l.startsWith('docker exec app-db'))).toHaveLength(2);
    expect(s.ran.lastIndexOf('docker exec app-db sh -c pg_isready -h 127.0.0.1')).toBeLessThan(i('docker run --detach --name app_v2'));
    expect(out.lines.some((l) => l.startsWith('accessory db: ready after'))).toBe(true);
  });

  it('an accessory that never gets ready fails the deploy before the release starts, showing its log', async () => {
    const s = liveV1({
      'docker inspect --type container --format {{.State.Status}} {{index .Config.Labels "werker.accessory.hash"}} app-db': { stdout: 'running h1\n' },
      'docker exec app-db': { code: 2, stderr: '127.0.0.1:5432 - no response' },
    });
    await expect(deployRelease(s, { ...spec, accessories: [db] }, actor, io())).rejects.toThrow('srv: accessory db was not ready within 1s (last check: 127.0.0.1:5432 - no response)');
    expect(s.ran).toContain('docker logs --tail 30 app-db');
    expect(s.ran.some((l) => l.startsWith('docker run --detach --name app_v2'))).toBe(false);
  });
});

describe('cancelling a release', () => {
  const db = { name: 'db', container: 'app-db', alias: 'db', image: 'postgis', env: [], volumes: [], ports: [], cmd: [], hash: 'h1', wait: { cmd: 'pg_isready', timeoutSec: 600 } };

  it('stops waiting for an accessory at once, before the release starts, and lets the lock go', async () => {
    const cancel = new AbortController();
    const s = liveV1({
      'docker inspect --type container --format {{.State.Status}} {{index .Config.Labels "werker.accessory.hash"}} app-db': { stdout: 'running h1\n' },
      'docker exec app-db': () => (cancel.abort(), { code: 2, stderr: 'no response' }),
    });
    await expect(deployRelease(s, { ...spec, accessories: [db] }, actor, { ...io(), signal: cancel.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(s.ran.filter((l) => l.startsWith('docker exec app-db'))).toHaveLength(1);
    expect(s.ran.some((l) => l.startsWith('docker run --detach --name app_v2'))).toBe(false);
    expect(s.ran).toContain('(unlock)');
  });

  it('stops the health gate at once and removes the new release; the live one keeps serving', async () => {
    const cancel = new AbortController();
    const s = liveV1({ [PROBE]: () => (cancel.abort(), { code: 7, stderr: 'connection refused' }) });
    await expect(deployRelease(s, { ...spec, health: { path: '/up', timeoutSec: 600 } }, actor, { ...io(), signal: cancel.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(s.ran.filter((l) => l.startsWith(PROBE))).toHaveLength(1);
    expect(s.ran).toContain('docker rm --force app_v2');
    expect(s.ran.some((l) => l.includes('s/live.new'))).toBe(false);
    expect(s.ran).toContain('(unlock)');
  });
});

describe('rollbackRelease', () => {
  it('brings the previous release back on its own port and swaps the pointers', async () => {
    const s = liveV1();
    await rollbackRelease(s, spec, actor, io());
    const i = (l: string) => s.ran.indexOf(l);
    expect(i('docker update --restart always app_v0')).toBeLessThan(i('docker start app_v0'));
    expect(s.ran.some((l) => l.startsWith(PROBE) && l.endsWith('http://127.0.0.1:8002/up'))).toBe(true);
    expect(i('nginx -s reload')).toBeLessThan(i('mv -f s/live.new s/live'));
    expect(i('mv -f s/live.new s/live')).toBeLessThan(i('docker stop --time 1 app_v1'));
  });

  it('says so when there is nothing to return to', async () => {
    const s = liveV1({ 'cat s/previous': { code: 1, stderr: 'No such file' } });
    await expect(rollbackRelease(s, spec, actor, io())).rejects.toThrow('srv: there is no previous release to return to');
  });
});
