import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { localActor } from '../../deploy/hosts.ts';
import { enterMaintenance, leaveMaintenance } from '../../deploy/maintenance.ts';
import { DEFAULT_MAINTENANCE_PAGE, MAX_PAGE_BYTES } from '../../deploy/maintenance-site.ts';
import type { ReleaseSpec } from '../../deploy/release-spec.ts';
import { UsageError } from '../../errors.ts';
import type { Output } from '../output.ts';
import { forEachHost, loadReleaseTargets, maskedPrinter, type ReleaseFlags } from './release-targets.ts';

/**
 * `werker release maintenance|live [PATH] --pipeline P`: nginx answers 503 with the maintenance
 * page (the step's `maintenance-page` from the repository, or werker's), or the live release
 * again; on each host under its deploy lock, with an audit line.
 */
export async function releaseMaintenanceCommand(mode: 'maintenance' | 'live', target: string | undefined, flags: ReleaseFlags, global: { environment: string }, out: Output): Promise<number> {
  const t = await loadReleaseTargets(target, flags, global.environment);
  const print = maskedPrinter(t, out);
  const pages = new Map(t.specs.map((s) => [s, mode === 'maintenance' ? maintenancePage(s, t.projectDir) : '']));
  await forEachHost(t, flags.host, async (conn, spec) => {
    if (mode === 'maintenance') await enterMaintenance(conn, spec, localActor(t.runId), { print }, pages.get(spec)!);
    else await leaveMaintenance(conn, spec, localActor(t.runId), { print });
  });
  return 0;
}

/** The page from the repository (checked before any host is touched), or werker's own. */
function maintenancePage(spec: ReleaseSpec, projectDir: string): string {
  if (!spec.maintenancePage) return DEFAULT_MAINTENANCE_PAGE;
  const file = path.resolve(projectDir, spec.maintenancePage);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`maintenance-page: ${spec.maintenancePage} is not a file of ${projectDir}`, { hint: 'commit the page, or fix the step\'s maintenance-page' });
  const bytes = readFileSync(file);
  if (bytes.length > MAX_PAGE_BYTES) throw new UsageError(`maintenance-page: ${spec.maintenancePage} has ${bytes.length} bytes; nginx gets it inline, so at most ${MAX_PAGE_BYTES}`, { hint: 'serve images and styles from static files and keep the page small' });
  return bytes.toString('utf8');
}
