import { removeLeftovers } from '../../engine/cleanup.ts';
import { removeSnapshots } from '../../engine/snapshot.ts';
import { connectDocker } from '../../runtime/docker/client.ts';
import type { Output } from '../output.ts';

/** `werker cleanup`: remove containers, networks and volumes left by runs that are gone, and the failed runs' snapshots (§8.4). */
export async function cleanupCommand(opts: { all?: boolean; dockerHost?: string }, out: Output): Promise<number> {
  const runtime = await connectDocker(opts.dockerHost ? { host: opts.dockerHost } : {});
  const report = await removeLeftovers(runtime, { all: Boolean(opts.all) });
  const snapshots = await removeSnapshots(runtime);
  const total = report.containers.length + report.networks.length + report.volumes.length + snapshots.length;
  out.stdout(total === 0 ? 'nothing to remove' : [
    ...report.containers.map((c) => `removed container ${c}`),
    ...report.networks.map((n) => `removed network ${n}`),
    ...report.volumes.map((v) => `removed volume ${v}`),
    ...snapshots.map((s) => `removed snapshot ${s}`),
  ].join('\n'));
  return 0;
}
