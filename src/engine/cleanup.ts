import type { ContainerRuntime } from '../runtime/runtime.ts';
import { RUN_LABEL, ownerIsGone } from './labels.ts';

export interface CleanupReport {
  containers: string[];
  networks: string[];
  volumes: string[];
}

/**
 * Removes what runs left behind: everything labelled with `runId`, or (no runId) everything of
 * runs whose werker process is gone — a crashed or killed run. `all` removes every werker object
 * on the engine (`werker cleanup --all`).
 */
export async function removeLeftovers(runtime: ContainerRuntime, opts: { runId?: string; all?: boolean } = {}): Promise<CleanupReport> {
  const found = await runtime.listLabelled(RUN_LABEL, opts.runId);
  const pick = <T extends { labels: Record<string, string> }>(items: T[]) =>
    // A blank run label is an image's inherited one (docker-push blanks it): not a run's object.
    items.filter((i) => i.labels[RUN_LABEL] !== '' && (opts.runId !== undefined || opts.all || ownerIsGone(i.labels)));
  const report: CleanupReport = { containers: [], networks: [], volumes: [] };
  await Promise.all(pick(found.containers).map(async (c) => {
    await runtime.removeContainer(c.id, { force: true, volumes: true });
    report.containers.push(c.name);
  }));
  for (const n of pick(found.networks)) {
    await runtime.removeNetwork(n.id);
    report.networks.push(n.name);
  }
  for (const v of pick(found.volumes)) {
    await runtime.removeVolume(v.name);
    report.volumes.push(v.name);
  }
  return report;
}
