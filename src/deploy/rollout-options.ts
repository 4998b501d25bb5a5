import { parseBatch } from './batches.ts';
import type { Balance, BatchSize, ReleaseSpec, SshHost } from './release-spec.ts';

/** Option text already `$VAR`-expanded and trimmed ('' when not set). */
type Get = (name: string) => string;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * `batch` and `balance` (README "Several servers"). `balance: all` makes every host's nginx
 * site balance across all hosts' live releases; `balance: front=HOST` only HOST's (one of
 * `hosts`). Each release is then also published on its host's address as written in `hosts`,
 * which must be an IPv4 address the balancing nginx reaches the host at.
 */
export function parseRollout(get: Get, hosts: SshHost[], errors: string[]): { batch: BatchSize; balance?: Balance } {
  const batch = parseBatch(get('batch'), errors);
  const text = get('balance');
  if (text === '' || text === 'off') return { batch };
  let balance: Balance | undefined;
  if (text === 'all') balance = {};
  else {
    const m = /^front=(\S+)$/.exec(text);
    const front = m ? hosts.find((h) => h.host === m[1] || `${h.host}:${h.port}` === m[1]) : undefined;
    if (!m) errors.push(`balance: "${text}" is not all, front=HOST or off`);
    else if (!front) errors.push(`balance: front=${m[1]} is not one of hosts (${hosts.map((h) => h.host).join(' ')}); the front host must be deployed too`);
    else balance = { front };
  }
  for (const h of hosts) {
    const ip = IPV4.exec(h.host);
    if (!ip || ip.slice(1).some((x) => Number(x) > 255)) errors.push(`balance: host "${h.host}" is not an IPv4 address; with balance each release is published on its host's address as written in hosts, where the balancing nginx reaches it`);
  }
  return balance ? { batch, balance } : { batch };
}

/** What balance needs from the other options; called once the spec is whole. */
export function checkBalance(spec: ReleaseSpec, written5xx: boolean, errors: string[]): void {
  if (!spec.balance) return;
  if (!spec.nginx) errors.push('balance needs nginx-site (and app-port): the balancing is done by the nginx site werker writes');
  if (spec.static) errors.push('balance: static-from/static-to are not served with balance (each host has only its own release\'s files); let the app serve them');
  if (spec.watch?.max5xxPercent !== undefined) {
    if (written5xx) errors.push('watch-5xx: 5xx answers are not counted with balance (they go through another host\'s nginx); set watch-5xx: off, the health checks still run');
    delete spec.watch.max5xxPercent;
    delete spec.watch.accessLog;
  }
}
