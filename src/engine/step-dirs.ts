import { chmod, cp, mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunPlan } from '../plan/types.ts';

/** Where a run keeps its steps' files and reports on the host: `<working dir>/builds/<run>/`. */
export const runDirOf = (plan: RunPlan): string => path.resolve(plan.workingDir, 'builds', plan.runId);

/**
 * Writes every step's directory (its package copied, plus generated run.sh / init.sh) under the
 * run dir and returns the bind mounts that place them read-only at /mnt/<step>, and the reports
 * at /report. As in wercker (docs/wercker-compat.md §4.3, §4.5), each step copies its own dir to
 * /pipeline/<step> when it starts, so /pipeline holds no mount: a step may remove or replace it.
 */
export async function writeStepDirs(plan: RunPlan): Promise<string[]> {
  const runDir = runDirOf(plan);
  const binds: string[] = [];
  for (const step of [...plan.steps, ...plan.afterSteps]) {
    const dir = path.join(runDir, 'steps', step.safeId);
    await mkdir(dir, { recursive: true });
    if (step.packageDir) await cp(step.packageDir, dir, { recursive: true });
    for (const [name, content] of Object.entries(step.files)) {
      await writeFile(path.join(dir, name), content);
      await chmod(path.join(dir, name), 0o755);
    }
    binds.push(`${dir}:${plan.paths.mnt}/${step.safeId}:ro`);
  }
  const report = path.join(runDir, 'report');
  await mkdir(report, { recursive: true });
  binds.push(`${report}:${plan.paths.report}`);
  return binds;
}

/** A step's message (`$WERCKER_REPORT_MESSAGE_FILE`), read on the host side of the mount. */
export async function readStepMessage(plan: RunPlan, safeId: string): Promise<string | undefined> {
  const text = await readFile(path.join(runDirOf(plan), 'report', safeId, 'message.txt'), 'utf8').catch(() => undefined);
  return text?.trim() || undefined;
}

/** Removes the steps' files and reports; the run dir goes too unless artifacts are kept in it. */
export async function removeStepDirs(plan: RunPlan): Promise<void> {
  const runDir = runDirOf(plan);
  await rm(path.join(runDir, 'steps'), { recursive: true, force: true });
  await rm(path.join(runDir, 'report'), { recursive: true, force: true });
  await rmdir(runDir).catch(() => undefined);
  await rmdir(path.dirname(runDir)).catch(() => undefined);
}
