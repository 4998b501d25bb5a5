import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../engine/artifacts.ts';
import type { PipelineFlags } from './pipeline-options.ts';

/**
 * What `werker deploy` deploys (docs/wercker-compat.md §4.10): with no target, the latest build's
 * output (`<working dir>/latest/output`) if there is one, else the current directory; a target may
 * be a project or a build's output dir. The wercker.yml is the source's own, else ./wercker.yml.
 * The build's git facts (kept in run.json beside its output) carry over, so $WERCKER_GIT_COMMIT in
 * the deploy is the commit that was built.
 */
export function resolveDeploySource(target: string | undefined, flags: PipelineFlags): { dir: string; flags: PipelineFlags; note?: string } {
  let dir = target ? path.resolve(target) : path.resolve(flags.workingDir, 'latest', 'output');
  let note: string | undefined;
  if (!target) {
    if (existsSync(dir)) note = 'No target specified, using recent build output.';
    else dir = process.cwd();
  }
  if (existsSync(path.join(dir, 'output')) && existsSync(path.join(dir, 'run.json'))) dir = path.join(dir, 'output');
  const next: PipelineFlags = { ...flags };
  if (!next.werckerYml && !existsSync(path.join(dir, 'wercker.yml')) && existsSync('wercker.yml')) next.werckerYml = path.resolve('wercker.yml');
  const record = readRecord(path.join(dir, '..', 'run.json'));
  if (record) {
    next.gitBranch ??= record.git.branch;
    next.gitCommit ??= record.git.commit;
    next.gitTag ??= record.git.tag;
  }
  return note ? { dir, flags: next, note } : { dir, flags: next };
}

function readRecord(file: string): RunRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}
