import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../config/load.ts';
import type { StepSpec, WerckerConfig } from '../../config/schema.ts';
import { ConfigError } from '../../errors.ts';
import { lockPath, writeLock, type LockFile } from '../../steps/lock.ts';
import { resolveStepPackages } from '../../steps/resolve.ts';
import type { Output } from '../output.ts';
import { stepResolution } from '../prepare-run.ts';

export interface StepsOptions {
  werckerYml?: string;
  workingDir: string;
  stepSource: string[];
  stepsRegistry?: string;
}

/** Every registry step of every pipeline (steps, deploy targets, after-steps), once each. */
function registrySteps(config: WerckerConfig): StepSpec[] {
  const all = Object.values(config.pipelines).flatMap((p) => [...p.steps, ...Object.values(p.deployTargets).flat(), ...p.afterSteps]);
  const seen = new Set<string>();
  return all.filter((s) => s.kind === 'registry' && !seen.has(s.id) && Boolean(seen.add(s.id)));
}

async function load(target: string, opts: StepsOptions) {
  const loaded = await loadConfig(path.resolve(target), opts.werckerYml);
  if (!loaded.config || loaded.diagnostics.some((d) => d.severity === 'error')) throw new ConfigError(loaded.diagnostics, loaded.text);
  return { file: path.resolve(loaded.file), config: loaded.config, projectDir: path.resolve(target) };
}

/**
 * `werker steps list [PATH]`: each registry step of the project's wercker.yml and where its
 * package comes from (fetching, and locking, what is not yet fetched). Exit 1 when one is missing.
 */
export async function stepsListCommand(target: string, opts: StepsOptions, out: Output): Promise<number> {
  const { file, config, projectDir } = await load(target, opts);
  const steps = registrySteps(config);
  const lookup = await resolveStepPackages(steps, { projectDir, workingDir: path.resolve(opts.workingDir), ...stepResolution(file, opts) });
  let missing = 0;
  for (const step of steps) {
    const found = lookup(step);
    const at = `${path.relative(process.cwd(), file) || file}:${step.at.line}:${step.at.col}`;
    if (typeof found === 'string') {
      missing++;
      out.stdout(`${step.id}  ✗ (${at})\n${found.split('\n').map((l) => `    ${l}`).join('\n')}`);
    } else out.stdout(`${step.id}  ← ${found.source}`);
  }
  if (!steps.length) out.stderr(`${file}: no registry steps`);
  return missing ? 1 : 0;
}

/**
 * `werker steps update [PATH]`: resolves every fetched step afresh through the sources and
 * rewrites the lock file next to wercker.yml with what they name now (entries of steps no longer
 * in the file are dropped). The old lock stays untouched when a step cannot be resolved.
 */
export async function stepsUpdateCommand(target: string, opts: StepsOptions, out: Output): Promise<number> {
  const { file, config, projectDir } = await load(target, opts);
  const steps = registrySteps(config);
  const { sources, lock: old } = stepResolution(file, opts);
  const fresh: LockFile = { file: lockPath(file), entries: new Map(), changed: false };
  const lookup = await resolveStepPackages(steps, { projectDir, workingDir: path.resolve(opts.workingDir), sources, lock: fresh, refresh: true, saveLock: false });
  const failed = steps.filter((s) => typeof lookup(s) === 'string');
  for (const step of failed) out.stderr(`${path.relative(process.cwd(), file) || file}:${step.at.line}:${step.at.col} ${step.id}: ${lookup(step) as string}`);
  if (failed.length) {
    out.stderr(`${fresh.file} not changed: ${failed.length} step${failed.length === 1 ? '' : 's'} could not be resolved`);
    return 1;
  }
  for (const [key, entry] of fresh.entries) {
    const before = old.entries.get(key);
    const now = entry.commit ?? entry.sha256 ?? '';
    const was = before?.commit ?? before?.sha256;
    out.stdout(`${key}: ${was === now ? 'unchanged' : was ? `${was.slice(0, 12)} → ${now.slice(0, 12)}` : `locked at ${now.slice(0, 12)}`} (${entry.source})`);
  }
  for (const key of old.entries.keys()) if (!fresh.entries.has(key)) out.stdout(`${key}: dropped (no longer in ${path.basename(file)})`);
  if (fresh.entries.size === 0 && !existsSync(fresh.file)) {
    out.stderr(`no step of ${path.basename(file)} is fetched from a source or URL: nothing to lock`);
    return 0;
  }
  await writeLock(fresh);
  out.stderr(`wrote ${fresh.file} (${fresh.entries.size} step${fresh.entries.size === 1 ? '' : 's'})`);
  return 0;
}
