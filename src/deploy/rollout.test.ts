import { describe, expect, it } from 'vitest';
import { CancelledError } from '../errors.ts';
import { FakeServer, PROBE, type Answer } from '../../test/fakes/fake-remote-shell.ts';
import { batchHosts, describeBatch, parseBatch, splitBatches } from './batches.ts';
import { parseReleaseOptions } from './release-options.ts';
import type { ReleaseSpec } from './release-spec.ts';
import { rollout } from './rollout.ts';
import { rolloutPlanLines } from './rollout-plan-lines.ts';

describe('batches', () => {
  it('splits hosts in their written order: a count, or a share rounded up, at least one host', () => {
    const hosts = ['a', 'b', 'c', 'd', 'e'];
    expect(splitBatches(hosts, undefined)).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
    expect(splitBatches(hosts, { hosts: 2 })).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(splitBatches(hosts, { percent: 50 })).toEqual([['a', 'b', 'c'], ['d', 'e']]);
    expect(splitBatches(hosts, { percent: 1 })).toHaveLength(5);
    expect(splitBatches(hosts, { hosts: 9 })).toEqual([hosts]);
    expect(splitBatches(['a', 'b'], { percent: 50 })).toEqual([['a'], ['b']]);
    expect(batchHosts({ percent: 100 }, 3)).toBe(3);
    expect(describeBatch({ percent: 50 }, 2)).toBe('batch: 50% of 2 hosts → 1 at a time, 2 batches');
  });

  it('reads batch: N and N%, and says what is wrong with anything else', () => {
    const errors: string[] = [];
    expect(parseBatch('', errors)).toEqual({ hosts: 1 });
    expect(parseBatch('3', errors)).toEqual({ hosts: 3 });
    expect(parseBatch('50%', errors)).toEqual({ percent: 50 });
    expect(errors).toEqual([]);
    for (const bad of ['0', 'half', '150%', '0%', '-1']) parseBatch(bad, errors);
    expect(errors).toHaveLength(5);
    expect(errors[1]).toBe('batch: "half" is not a number of hosts ≥ 1 or a share of them (e.g. batch: 2, batch: 50%)');
  });
});

describe('batch and balance options', () => {
  const base = {
    hosts: '10.0.0.5 10.0.0.6', 'ssh-key': 'k', 'known-hosts': 'kh', image: 'reg:5000/app', tag: 'v2', prefix: 'app',
    'app-port': '80', 'release-ports': '8001 8002', 'nginx-site': '/etc/nginx/app.conf',
  };
  const parse = (extra: Record<string, string>) => parseReleaseOptions({ raw: { ...base, ...extra }, lookup: () => undefined });

  it('balance: all, front=HOST (one of hosts), off', () => {
    const all = parse({ balance: 'all', batch: '50%' });
    expect(all.ok && all.spec.balance).toEqual({});
    expect(all.ok && all.spec.batch).toEqual({ percent: 50 });
    const front = parse({ balance: 'front=10.0.0.6' });
    expect(front.ok && front.spec.balance).toEqual({ front: { host: '10.0.0.6', port: 22 } });
    const off = parse({ balance: 'off' });
    expect(off.ok && off.spec.balance).toBeUndefined();
  });

  it('names what balance cannot work with', () => {
    const errors = (extra: Record<string, string>) => {
      const r = parse(extra);
      return r.ok ? [] : r.errors;
    };
    expect(errors({ balance: 'front=10.0.0.9' })).toEqual(['balance: front=10.0.0.9 is not one of hosts (10.0.0.5 10.0.0.6); the front host must be deployed too']);
    expect(errors({ balance: 'everywhere' })).toEqual(['balance: "everywhere" is not all, front=HOST or off']);
    expect(errors({ balance: 'all', hosts: 'web1.example.com 10.0.0.6' })[0]).toMatch(/^balance: host "web1.example.com" is not an IPv4 address/);
    expect(errors({ balance: 'all', 'nginx-site': '' })).toContain('balance needs nginx-site (and app-port): the balancing is done by the nginx site werker writes');
    expect(errors({ balance: 'all', watch: '30', 'watch-5xx': '5%' })[0]).toMatch(/^watch-5xx: 5xx answers are not counted with balance/);
    const watched = parse({ balance: 'all', watch: '30' });
    expect(watched.ok && watched.spec.watch).toEqual({ seconds: 30 });
  });
});

const spec: ReleaseSpec = {
  hosts: [{ host: 'h1', port: 22 }, { host: 'h2', port: 22 }], user: 'u', sshKey: 'k', knownHosts: 'kh', image: 'reg/app', tag: 'v2', release: 'app_v2', prefix: 'app',
  stateDir: 's', docker: ['docker'], network: 'app', appPort: 80, releasePorts: [8001, 8002], ports: [], volumes: [], env: [], restart: 'always',
  health: { path: '/up', timeoutSec: 1 }, drainSec: 0, stopTimeoutSec: 1, keep: 3, accessories: [], cron: [],
  nginx: { site: '/etc/nginx/app.conf', serverNames: ['app'], listen: '80', command: ['nginx'] },
};
const actor = { runId: 'run-1', who: 'me@laptop' };

class Host extends FakeServer {
  constructor(readonly name: string, answers: Record<string, Answer | ((stdin?: string) => Answer)>) {
    super(answers, name);
  }
  /** What was written to the site file, in order. */
  readonly sites: string[] = [];
}

/** A host where app_v1 is live on 8001. */
const liveV1 = (name: string, extra: Record<string, Answer | ((stdin?: string) => Answer)> = {}) => {
  const h: Host = new Host(name, {
    'cat s/live': { stdout: 'app_v1\n' },
    'cat s/previous': { stdout: 'app_v0\n' },
    'docker inspect --type container --format {{.State.Status}} {{index .Config.Labels "werker.port"}} app_v1': { stdout: 'running 8001\n' },
    'docker inspect --type container --format {{.State.Status}} {{index .Config.Labels "werker.port"}} app_v2': { code: 1 },
    'docker inspect --type container --format {{.State.Status}} {{.State.ExitCode}}': { stdout: 'running 0\n' },
    'install -m 644 /dev/stdin /etc/nginx/app.conf': (stdin) => (h.sites.push(stdin ?? ''), { code: 0 }),
    [PROBE]: { stdout: '200 0.002 \nok\n' },
    ...extra,
  });
  return h;
};

async function run(s: ReleaseSpec, hosts: Host[]): Promise<{ lines: string[]; error?: Error }> {
  const lines: string[] = [];
  const byName = new Map(hosts.map((h) => [h.name, h]));
  try {
    await rollout(s, actor, { print: (l) => lines.push(l) }, async (_s, h) => byName.get(h.host)!);
    return { lines };
  } catch (error) {
    return { lines, error: error as Error };
  }
}

describe('rollout', () => {
  it('batch 2 failing its gate sends batch 1 back to the old release; every host says where it stands', async () => {
    const h1 = liveV1('h1');
    const h2 = liveV1('h2', { [PROBE]: { stdout: '503 0.004 \nno\n' } });
    const { error } = await run(spec, [h1, h2]);
    expect(error?.message).toContain('h2: app_v2 was not healthy within 1s');
    expect(error?.message).toContain('hosts now:\n  h1:22: old release app_v1 live; switched back from app_v2; lock released; audit line written\n  h2:22: old release app_v1 live; lock released; audit line written');
    // h1: switched to v2 (8002), then back to v1 (8001), v2 stopped and kept; pointers back.
    expect(h1.sites.map((t) => /server 127\.0\.0\.1:(\d+);/.exec(t)?.[1])).toEqual(['8002', '8001']);
    expect(h1.ran).toContain('docker stop --time 1 app_v2');
    expect(h1.ran.filter((l) => l.startsWith('install -m 644 /dev/stdin s/live.new')).length).toBe(2);
    expect(h1.ran.at(-1)).toBe('(unlock)');
    // h2: the new release removed, nginx never touched, the old one never stopped.
    expect(h2.sites).toEqual([]);
    expect(h2.ran).toContain('docker rm --force app_v2');
    expect(h2.ran.some((l) => l.startsWith('docker stop'))).toBe(false);
    expect(h2.ran.at(-1)).toBe('(unlock)');
  });

  it('a lock held on h2 lets go of h1 before anything changed there', async () => {
    const h1 = liveV1('h1');
    const h2 = liveV1('h2', { 'flock -n': { code: 75 }, 'cat s/lock.holder': { stdout: 'deploy of app_v3 by them\n' } });
    const { error } = await run(spec, [h1, h2]);
    expect(error?.message).toContain('h2: another deploy holds the lock: deploy of app_v3 by them');
    expect(error?.message).toContain('  h1:22: not changed (what it served before still serves); lock released; audit line written\n  h2:22: not locked, not changed');
    expect(h1.ran.some((l) => l.startsWith('docker pull') || l.startsWith('docker run'))).toBe(false);
    expect(h1.ran.slice(-2)).toEqual(['tee -a s/audit.log', '(unlock)']);
  });

  it('with balance: front=h1, h1\'s site holds both hosts, each taken out while it switches; h2\'s nginx is not touched', async () => {
    const s: ReleaseSpec = { ...spec, hosts: [{ host: '10.0.0.1', port: 22 }, { host: '10.0.0.2', port: 22 }], balance: { front: { host: '10.0.0.1', port: 22 } } };
    const h1 = liveV1('10.0.0.1');
    const h2 = liveV1('10.0.0.2');
    const { lines, error } = await run(s, [h1, h2]);
    expect(error).toBeUndefined();
    const upstreams = h1.sites.map((t) => [...t.matchAll(/server (\S+);/g)].map((m) => m[1]).join(' '));
    expect(upstreams).toEqual([
      '10.0.0.2:8001', // h1 out while it switches
      '10.0.0.2:8001 10.0.0.1:8002', // h1 in again, on its new release
      '10.0.0.1:8002', // h2 out
      '10.0.0.1:8002 10.0.0.2:8002', // h2 in again
    ]);
    expect(h2.sites).toEqual([]);
    expect(h2.ran.find((l) => l.startsWith('docker run'))).toContain('--publish 127.0.0.1:8002:80 --publish 10.0.0.2:8002:80');
    expect(lines).toContain('  10.0.0.2:22: new release app_v2 live; lock released; audit line written');
    for (const h of [h1, h2]) expect(h.ran).toContain('docker stop --time 1 app_v1');
  });

  it('with balance: all, every host\'s site balances across both, written the same on each', async () => {
    const s: ReleaseSpec = { ...spec, hosts: [{ host: '10.0.0.1', port: 22 }, { host: '10.0.0.2', port: 22 }], balance: {} };
    const h1 = liveV1('10.0.0.1');
    const h2 = liveV1('10.0.0.2');
    const { error } = await run(s, [h1, h2]);
    expect(error).toBeUndefined();
    expect(h1.sites).toHaveLength(4);
    expect(h2.sites).toEqual(h1.sites);
    expect(h2.sites.at(-1)).toContain('# Balanced: 10.0.0.2:22 runs app_v2, reached at 10.0.0.2:8002');
  });

  it('Ctrl-C while batch 2 is at its gate: batch 2 gives up, batch 1 goes back, exit as cancelled', async () => {
    const ctl = new AbortController();
    const h1 = liveV1('h1');
    const h2 = liveV1('h2', { [PROBE]: () => (ctl.abort(), { stdout: '503 0.004 \nnot yet\n' }) });
    const lines: string[] = [];
    const byName = new Map([h1, h2].map((h) => [h.name, h]));
    const err = await rollout(spec, actor, { print: (l) => lines.push(l), signal: ctl.signal }, async (_s, h) => byName.get(h.host)!).catch((e: Error) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).message).toContain('  h1:22: old release app_v1 live; switched back from app_v2; lock released; audit line written');
    expect(h1.sites.map((t) => /server 127\.0\.0\.1:(\d+);/.exec(t)?.[1])).toEqual(['8002', '8001']);
    expect(h2.ran).toContain('docker rm --force app_v2');
  });

  it('a batch that fails its watch goes back, and so does every batch before it; later hosts are not touched', async () => {
    let checks = 0;
    const h1 = liveV1('h1');
    // The gate's check passes, the watch's next three fail, the old release's gate on the way back passes.
    const h2 = liveV1('h2', { [PROBE]: () => (++checks > 1 && checks <= 4 ? { stdout: '500 0.003 \nbroken\n' } : { stdout: '200 0.002 \nok\n' }) });
    const h3 = liveV1('h3');
    const s: ReleaseSpec = { ...spec, hosts: [{ host: 'h1', port: 22 }, { host: 'h2', port: 22 }, { host: 'h3', port: 22 }], watch: { seconds: 3 } };
    const { error } = await run(s, [h1, h2, h3]);
    expect(error?.message).toMatch(/^h2:22: app_v2 failed its watch after [\d.]+s: 3 health checks in a row failed/);
    expect(error?.message).toContain('  h1:22: old release app_v1 live; switched back from app_v2');
    expect(error?.message).toContain('  h2:22: old release app_v1 live; switched back from app_v2');
    expect(error?.message).toContain('  h3:22: old release app_v1 live; lock released; audit line written');
    expect(h3.ran.some((l) => l.startsWith('docker run'))).toBe(false);
  }, 30_000);

  it('werker plan lists the batches and the balancing steps', () => {
    const s: ReleaseSpec = { ...spec, hosts: [{ host: '10.0.0.1', port: 22 }, { host: '10.0.0.2', port: 22 }, { host: '10.0.0.3', port: 22 }], batch: { percent: 50 }, balance: {} };
    const lines = rolloutPlanLines(s);
    expect(lines.slice(0, 3)).toEqual(['rollout: batch: 50% of 3 hosts → 2 at a time, 2 batches', '  batch 1: 10.0.0.1:22 10.0.0.2:22', '  batch 2: 10.0.0.3:22']);
    expect(lines).toContain('balance: nginx on 10.0.0.1:22 10.0.0.2:22 10.0.0.3:22 balances across every host\'s live release');
    expect(lines).toContain('  $ nginx -s reload');
    expect(lines).toContain('  # site: server 10.0.0.3:8001;');
    expect(rolloutPlanLines({ ...spec, hosts: [{ host: 'a', port: 22 }] })).toEqual([]);
  });
});
