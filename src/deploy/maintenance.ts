import type { RemoteShell } from '../runtime/ssh/connection.ts';
import type { ReleaseCommands } from './commands.ts';
import { maintenanceOf, maintenanceSiteText } from './maintenance-site.ts';
import { applySite } from './nginx-apply.ts';
import { ReleaseError, type Remote } from './remote.ts';
import { withLock, type ReleaseIo } from './release.ts';
import type { Actor, ReleaseSpec } from './release-spec.ts';

/**
 * `werker release maintenance`: under the deploy lock, nginx's site for the app is replaced by
 * one that answers 503 with the page (the release keeps running behind it, and cron goes on),
 * tested with `nginx -t` (the old file is put back if it fails) and reloaded gracefully.
 * A later deploy or rollback writes the normal site, so it ends maintenance mode: the deploy is
 * what a maintenance window usually waits for, and its health gate and watch need the site to
 * answer. `werker release live` ends it without a deploy.
 */
export async function enterMaintenance(shell: RemoteShell, spec: ReleaseSpec, actor: Actor, io: ReleaseIo, page: string): Promise<void> {
  requireNginx(spec);
  await withLock(shell, spec, actor, io, 'maintenance', '(live)', async (r, c, audit) => {
    const live = await liveRelease(r, c);
    audit.release = live.name;
    const since = new Date().toISOString();
    await applySite(r, c, maintenanceSiteText(spec, live.name, since, actor.who, page), { what: 'the maintenance site' });
    r.say(`${r.host}: maintenance mode on: nginx answers 503 with the maintenance page for ${spec.nginx!.serverNames.join(' ')} (${live.name} keeps running behind it)`);
    audit.result = 'ok';
  });
}

/** `werker release live`: the normal site for the live release again, the same way. */
export async function leaveMaintenance(shell: RemoteShell, spec: ReleaseSpec, actor: Actor, io: ReleaseIo): Promise<void> {
  requireNginx(spec);
  await withLock(shell, spec, actor, io, 'live', '(live)', async (r, c, audit) => {
    const live = await liveRelease(r, c);
    audit.release = live.name;
    if (!maintenanceOf(await r.read(c.readSite())).on) r.say(`${r.host}: the site was not in maintenance mode; writing it for ${live.name} all the same`);
    await applySite(r, c, c.siteFor(live.name, live.port), { what: 'the site' });
    r.say(`${r.host}: live: nginx sends ${spec.nginx!.serverNames.join(' ')} to ${live.name} (127.0.0.1:${live.port}) again`);
    audit.result = 'ok';
  });
}

function requireNginx(spec: ReleaseSpec): void {
  if (!spec.nginx) throw new ReleaseError('maintenance mode needs nginx-site: werker serves the maintenance page through the app\'s nginx site', 'set nginx-site (and app-port) on the internal/release step');
}

/** The live release and its port; maintenance needs a running one to come back to. */
async function liveRelease(r: Remote, c: ReleaseCommands): Promise<{ name: string; port: number }> {
  const name = await r.read(c.readLive());
  if (!name) throw new ReleaseError(`${r.host}: no release is live here yet`, 'deploy first (werker deploy); maintenance mode fronts the live release');
  const [status = '', port = ''] = ((await r.read(c.inspectRelease(name))) ?? '').split(/\s+/);
  if (status !== 'running' || !/^\d+$/.test(port)) throw new ReleaseError(`${r.host}: the live release ${name} is ${status || 'gone'}`, 'deploy or roll back first; the site must have a running release to send traffic to');
  return { name, port: Number(port) };
}

