import { randomBytes } from 'node:crypto';
import type { CleanupScope } from './cleanup-scope.ts';
import { runBash } from './shell.ts';

/** Label on everything a baseline script creates; werker's own runs carry `werker.run=<id>`. */
export const BENCH_LABEL = 'werker.bench';

export const BUSYBOX = 'werker-test/busybox:latest';
export const POSTGIS = 'werker-test/postgis:latest';

export const newId = (): string => randomBytes(6).toString('hex');

/**
 * Removes every container (with its anonymous volumes, e.g. PostGIS's data volume) and network
 * carrying `label=value`. Used after each werker run (by its run id: werker cleans up after
 * itself, this catches a run that was killed) and after each baseline script.
 */
export async function removeLabelled(label: string, value: string): Promise<void> {
  const filter = `label=${label}=${value}`;
  await runBash(`
    ids=$(docker ps -aq --filter '${filter}')
    if [ -n "$ids" ]; then docker rm -fv $ids >/dev/null; fi
    nets=$(docker network ls -q --filter '${filter}')
    if [ -n "$nets" ]; then docker network rm $nets >/dev/null; fi`);
}

/** Registers the removal of everything labelled `label=value` with the scope. */
export function deferRemoval(scope: CleanupScope, label: string, value: string): void {
  scope.defer(`docker objects ${label}=${value}`, () => removeLabelled(label, value));
}
