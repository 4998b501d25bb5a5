import { cp, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunPlan } from '../plan/types.ts';
import { runDirOf } from './step-dirs.ts';

/**
 * With --artifacts (docs/wercker-compat.md §3.3, §4.10), what each step left in
 * `$WERCKER_REPORT_ARTIFACTS_DIR` is kept as `builds/<run>/artifacts/<step id>/`, beside
 * `output/`, before the reports are removed with the run's step dirs. Returns the steps kept.
 */
export async function collectReportArtifacts(plan: RunPlan): Promise<string[]> {
  const runDir = runDirOf(plan);
  const kept: string[] = [];
  for (const step of [...plan.steps, ...plan.afterSteps]) {
    const from = path.join(runDir, 'report', step.safeId, 'artifacts');
    const files = await readdir(from).catch(() => [] as string[]);
    if (!files.length) continue;
    await cp(from, path.join(runDir, 'artifacts', step.safeId), { recursive: true });
    kept.push(step.safeId);
  }
  return kept;
}
