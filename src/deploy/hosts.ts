import { hostname, userInfo } from 'node:os';
import { SshConnection } from '../runtime/ssh/connection.ts';
import { deployRelease, rollbackRelease, type ReleaseIo } from './release.ts';
import type { Actor, ReleaseSpec } from './release-spec.ts';
import { rollout } from './rollout.ts';

/** `user@host` of the machine werker runs on, for lock holders and audit lines. */
export function localActor(runId: string): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container with a bare uid)
  }
  return { runId, who: `${user}@${hostname()}` };
}

/**
 * Deploys one host (or rolls back each host in turn) over its own SSH connection; the first
 * host that fails stops the rest, so a bad release reaches at most one server.
 */
export async function releaseOnHosts(spec: ReleaseSpec, actor: Actor, io: ReleaseIo, action: 'deploy' | 'rollback'): Promise<void> {
  // Several hosts deploy in batches, every host ending on one release (deploy/rollout.ts).
  if (action === 'deploy' && spec.hosts.length > 1) return rollout(spec, actor, io);
  for (const h of spec.hosts) {
    io.print(`${action === 'deploy' ? `deploying ${spec.release}` : 'rolling back'} on ${spec.user}@${h.host}:${h.port}`);
    const conn = await SshConnection.connect({
      host: h.host, port: h.port, username: spec.user, privateKey: spec.sshKey, knownHosts: spec.knownHosts,
      ...(spec.sshKeyPassphrase ? { passphrase: spec.sshKeyPassphrase } : {}),
    }, io.signal);
    // A cancel cuts the connection (the lock goes with it), unless the release holds it to end
    // on one whole release first (the watch window, deploy/after-switch.ts).
    let held = false;
    const onAbort = () => held || conn.close();
    io.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await (action === 'deploy' ? deployRelease : rollbackRelease)(conn, spec, actor, { ...io, holdConnection: () => (held = true) });
    } finally {
      io.signal?.removeEventListener('abort', onAbort);
      conn.close();
    }
  }
}
