import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadStats {
  ok: number;
  failed: number;
  /** The first few failures, as status + body or the error message. */
  failures: string[];
  /** Distinct response bodies seen (the release versions). */
  seen: Set<string>;
}

/** One GET through nginx for `host` (a new connection each: a client that reuses none sees every switch). */
export function get(port: number, host: string, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { host }, agent: false, timeout: 5000 }, (res) => {
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

/**
 * `clients` loops requesting `/` back to back (`gapMs` apart), bounded in time and count so a
 * stuck deploy cannot make it run forever; an answer counts as good only if it is 200 and its
 * body passes `valid`.
 */
export function startLoad(opts: { port: number; host: string; valid: (body: string) => boolean; clients?: number; gapMs?: number; maxMs?: number; maxRequests?: number }) {
  const stats: LoadStats = { ok: 0, failed: 0, failures: [], seen: new Set() };
  let stopped = false;
  const until = Date.now() + (opts.maxMs ?? 120_000);
  const max = opts.maxRequests ?? 50_000;
  const loop = async () => {
    while (!stopped && Date.now() < until && stats.ok + stats.failed < max) {
      try {
        const r = await get(opts.port, opts.host, '/');
        if (r.status !== 200 || !opts.valid(r.body)) throw new Error(`${r.status} ${r.body.slice(0, 60)}`);
        stats.ok++;
        stats.seen.add(r.body.trim());
      } catch (err) {
        stats.failed++;
        if (stats.failures.length < 10) stats.failures.push((err as Error).message);
      }
      await sleep(opts.gapMs ?? 10);
    }
  };
  const loops = Promise.all(Array.from({ length: opts.clients ?? 2 }, loop));
  return {
    async stop(): Promise<LoadStats> {
      stopped = true;
      await loops;
      return stats;
    },
  };
}
