import { randomBytes } from 'node:crypto';
import { removeLabelled } from './docker-objects.ts';
import { runWerker, type WerkerOptions, type WerkerRun } from './werker-cli.ts';

export interface BuildRun extends WerkerRun {
  runId: string;
}

/**
 * `werker build PROJECT --working-dir WD` with a run id chosen here, so whatever the run left
 * (it cleans up after itself; this is for a run that was killed or failed) is removed by its
 * `werker.run` label before the next measurement starts.
 */
export async function werkerBuild(project: string, workingDir: string, opts: WerkerOptions & { extraArgs?: string[] } = {}): Promise<BuildRun> {
  const runId = randomBytes(12).toString('hex');
  try {
    const run = await runWerker(['build', project, '--working-dir', workingDir, '--run-id', runId, ...(opts.extraArgs ?? [])], opts);
    return { ...run, runId };
  } finally {
    await removeLabelled('werker.run', runId);
  }
}
