import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { TARGET } from './deploy-target.ts';

export interface Page {
  status: number;
  body: string;
}

/** One GET through the deploy target's nginx (127.0.0.1), for the site named by `host`; a new connection each time. */
export function getThroughNginx(host: string, urlPath: string): Promise<Page> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: TARGET.nginxPort, path: urlPath, headers: { host }, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

export interface LoadStats {
  ok: number;
  failed: number;
  /** The first ten failures, as "status body…" or the error. */
  failures: string[];
  /** What `version` returned for each good answer. */
  seen: Set<string>;
}

/**
 * Two clients requesting a page back to back (a new connection each, `pauseMs` apart), bounded
 * in time and count so it always ends by itself. `version` says what a good answer is: undefined
 * counts the answer as failed.
 */
export function startLoad(get: () => Promise<Page>, version: (p: Page) => string | undefined, opts: { pauseMs?: number; maxMs?: number; maxRequests?: number } = {}) {
  const { pauseMs = 25, maxMs = 120_000, maxRequests = 20_000 } = opts;
  const stats: LoadStats = { ok: 0, failed: 0, failures: [], seen: new Set() };
  let stopped = false;
  const until = Date.now() + maxMs;
  const loop = async () => {
    while (!stopped && Date.now() < until && stats.ok + stats.failed < maxRequests) {
      try {
        const page = await get();
        const v = page.status === 200 ? version(page) : undefined;
        if (v === undefined) throw new Error(`${page.status} ${page.body.slice(0, 80)}`);
        stats.ok++;
        stats.seen.add(v);
      } catch (err) {
        stats.failed++;
        if (stats.failures.length < 10) stats.failures.push((err as Error).message);
      }
      await sleep(pauseMs);
    }
  };
  const loops = Promise.all([loop(), loop()]);
  return {
    async stop(): Promise<LoadStats> {
      stopped = true;
      await loops;
      return stats;
    },
  };
}

/**
 * Free ports on 127.0.0.1 below the ephemeral range (32768+): a port from that range can be
 * taken, between the probe and `docker run`, as the local end of some outgoing connection.
 */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free && !ports.includes(port)) ports.push(port);
  }
  return ports;
}
