import type { BatchSize } from './release-spec.ts';

/**
 * `batch: N` or `batch: N%` → the size; `1` when not set. A share is of the hosts, rounded up,
 * so `50%` of 3 hosts is 2 and any share above 0 is at least one host.
 */
export function parseBatch(text: string, errors: string[]): BatchSize {
  if (text === '') return { hosts: 1 };
  const count = /^(\d+)$/.exec(text);
  if (count && Number(count[1]) >= 1) return { hosts: Number(count[1]) };
  const share = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (share && Number(share[1]) > 0 && Number(share[1]) <= 100) return { percent: Number(share[1]) };
  errors.push(`batch: "${text}" is not a number of hosts ≥ 1 or a share of them (e.g. batch: 2, batch: 50%)`);
  return { hosts: 1 };
}

/** Hosts per batch for this many hosts. */
export function batchHosts(size: BatchSize = { hosts: 1 }, hostCount: number): number {
  const n = 'hosts' in size ? size.hosts : Math.ceil((hostCount * size.percent) / 100);
  return Math.max(1, Math.min(hostCount, n));
}

/** The hosts in batches, in their written order: each batch switches together, the next starts when it is live. */
export function splitBatches<T>(hosts: readonly T[], size: BatchSize | undefined): T[][] {
  const per = batchHosts(size, hosts.length);
  const out: T[][] = [];
  for (let i = 0; i < hosts.length; i += per) out.push(hosts.slice(i, i + per));
  return out;
}

/** `batch: 50%` → "50% of 4 hosts = 2 at a time". */
export function describeBatch(size: BatchSize = { hosts: 1 }, hostCount: number): string {
  const per = batchHosts(size, hostCount);
  const what = 'hosts' in size ? `batch: ${size.hosts}` : `batch: ${size.percent}% of ${hostCount} hosts`;
  return `${what} → ${per} at a time, ${Math.ceil(hostCount / per)} batch${Math.ceil(hostCount / per) === 1 ? '' : 'es'}`;
}
