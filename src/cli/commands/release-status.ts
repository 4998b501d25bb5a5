import { formatHostStatus, readHostStatus, type HostStatus } from '../../deploy/release-status.ts';
import type { Output } from '../output.ts';
import { forEachHost, loadReleaseTargets, type ReleaseFlags } from './release-targets.ts';

/**
 * `werker release status [PATH] --pipeline P [--json]`: per host, the live and previous release,
 * maintenance mode, the accessories and each cron job's recorded runs. Reads only: no lock.
 */
export async function releaseStatusCommand(target: string | undefined, flags: ReleaseFlags, global: { environment: string }, out: Output): Promise<number> {
  const t = await loadReleaseTargets(target, flags, global.environment);
  const hosts: (HostStatus & { user: string; app: string })[] = [];
  await forEachHost(t, flags.host, async (conn, spec) => {
    const status = { ...(await readHostStatus(conn, spec)), user: spec.user, app: spec.prefix };
    hosts.push(status);
    if (!flags.json) for (const line of formatHostStatus(status, spec.user)) out.stdout(t.mask(line));
  });
  if (flags.json) out.stdout(t.mask(JSON.stringify({ hosts }, null, 2)));
  return 0;
}
