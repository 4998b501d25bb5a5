import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SshConnection } from '../../src/runtime/ssh/connection.ts';

/**
 * The two deploy hosts scripts/setup-deploy-hosts.sh prepares: network namespaces on this
 * machine, each with its own sshd, dockerd and nginx, and its own home for the deploy user
 * (test-only key and user).
 */
export const HOSTS = {
  root: '/var/lib/werker/deploy-hosts',
  user: 'werker-hosts',
  home: '/var/lib/werker/deploy-hosts/home',
  nginxDir: '/var/lib/werker/deploy-hosts/nginx',
  nginxPort: 8088,
  addresses: ['10.248.0.11', '10.248.0.12'],
} as const;

const run = promisify(execFile);
const script = path.resolve(import.meta.dirname, '../../scripts/setup-deploy-hosts.sh');

export interface DeployHosts {
  key: string;
  knownHosts: string;
  /** SSH to host 1 or 2 (its own sshd, its own host key). */
  connect(n: 1 | 2): Promise<SshConnection>;
}

/** The hosts' key and known_hosts value, or undefined when the setup script has not run (the suite skips, or fails under WERKER_REQUIRE_DOCKER=1). */
export function deployHosts(): DeployHosts | undefined {
  const keyFile = `${HOSTS.root}/id_ed25519`;
  const hostsFile = `${HOSTS.root}/known_hosts`;
  if (!existsSync(keyFile) || !existsSync(hostsFile)) {
    if (process.env.WERKER_REQUIRE_DOCKER === '1') throw new Error('no deploy hosts: run scripts/setup-deploy-hosts.sh');
    return undefined;
  }
  const key = readFileSync(keyFile, 'utf8');
  const knownHosts = readFileSync(hostsFile, 'utf8');
  return {
    key, knownHosts,
    connect: (n) => SshConnection.connect({ host: HOSTS.addresses[n - 1]!, port: 22, username: HOSTS.user, privateKey: key, knownHosts }),
  };
}

/**
 * Stops host N's sshd as a crash would: the listener and every session it forked (by their
 * process ids, from its pid file), so open connections drop at once.
 */
export async function stopSshd(n: 1 | 2): Promise<void> {
  const pid = Number(readFileSync(`/run/werker-hosts/host${n}/sshd.pid`, 'utf8').trim());
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    const kids = await run('pgrep', ['-P', String(all[i])]).then((r) => r.stdout.split('\n').filter(Boolean).map(Number), () => []);
    all.push(...kids);
  }
  for (const p of all) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Starts whatever of the hosts is not running (the setup script is idempotent). */
export async function startHosts(): Promise<void> {
  await run('bash', [script], { timeout: 120_000 });
}
