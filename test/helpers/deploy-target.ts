import { existsSync, readFileSync } from 'node:fs';
import { withCronBlock } from '../../src/deploy/cron.ts';
import { SshConnection } from '../../src/runtime/ssh/connection.ts';

/** The loopback deploy target scripts/setup-deploy-target.sh prepares (test-only key and user). */
export const TARGET = {
  root: '/var/lib/werker/deploy-test',
  host: '127.0.0.1',
  port: 2222,
  user: 'werker-deploy',
  home: '/var/lib/werker/deploy-test/home',
  nginxDir: '/var/lib/werker/deploy-test/nginx',
  nginxPort: 8088,
} as const;

export interface DeployTarget {
  key: string;
  knownHosts: string;
  connect(): Promise<SshConnection>;
}

/** The target's key and known_hosts value, or undefined when the setup script has not run (the suite skips). */
export function deployTarget(): DeployTarget | undefined {
  const keyFile = `${TARGET.root}/id_ed25519`;
  const hostsFile = `${TARGET.root}/known_hosts`;
  if (!existsSync(keyFile) || !existsSync(hostsFile)) {
    if (process.env.WERKER_REQUIRE_DOCKER === '1') throw new Error('no deploy target: run scripts/setup-deploy-target.sh');
    return undefined;
  }
  const key = readFileSync(keyFile, 'utf8');
  const knownHosts = readFileSync(hostsFile, 'utf8');
  return {
    key, knownHosts,
    connect: () => SshConnection.connect({ host: TARGET.host, port: TARGET.port, username: TARGET.user, privateKey: key, knownHosts }),
  };
}

/** Removes this app's crontab block for the deploy user (other blocks stay). */
export async function removeCronBlock(conn: SshConnection, prefix: string): Promise<void> {
  const current = await conn.exec(['crontab', '-l']);
  const next = withCronBlock(current.code === 0 ? current.stdout : '', prefix, []);
  await conn.exec(next ? ['crontab', '-'] : ['crontab', '-r'], next ? { stdin: next } : {});
}
