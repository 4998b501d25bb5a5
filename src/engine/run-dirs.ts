import { mkdir } from 'node:fs/promises';
import type { RunPlan } from '../plan/types.ts';
import { pointLatest, pruneBuilds } from './artifacts.ts';
import { runDirOf } from './step-dirs.ts';

/**
 * Before a run (docs/wercker-compat.md §1): old run dirs are pruned, and `latest` (build, dev) or
 * `latest_deploy` (deploy) points at this run's dir, with or without --artifacts. So a
 * `werker deploy` after a build without --artifacts finds no `latest/output` and takes the
 * current directory, as wercker did, rather than an older build's output.
 */
export async function openRunDir(plan: RunPlan): Promise<void> {
  await pruneBuilds(plan.workingDir);
  await mkdir(runDirOf(plan), { recursive: true });
  await pointLatest(plan.workingDir, plan.kind === 'deploy' ? 'latest_deploy' : 'latest', runDirOf(plan));
}
