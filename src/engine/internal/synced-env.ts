import type { RunPlan } from '../../plan/types.ts';
import { quoteForExport } from '../quote-for-export.ts';

/**
 * The pipeline env as the last sync left it (docs/wercker-compat.md §3.4): a sync copies the
 * shell's live env into the pipeline env, so later internal steps expand their options against
 * it and the after-steps export it again. Kept per plan, beside the plan (which stays as planned).
 */
const synced = new WeakMap<RunPlan, Map<string, string>>();

/** Shell variables that are the shell's own, or read-only in bash: never sent back as exports. */
const SHELL_OWN = new Set(['_', 'PWD', 'OLDPWD', 'SHLVL', 'SHELLOPTS', 'BASHOPTS', 'BASH_VERSINFO', 'EUID', 'PPID', 'UID']);

/** The pipeline env for an internal step: as planned, then what earlier syncs found. */
export function pipelineEnv(plan: RunPlan): Map<string, string> {
  return new Map([...plan.env.map((v) => [v.name, v.value] as const), ...(synced.get(plan) ?? [])]);
}

/** Records a sync: the merged env becomes the run's pipeline env. */
export function rememberSync(plan: RunPlan, env: Map<string, string>): void {
  synced.set(plan, env);
}

/**
 * Export lines that bring the synced values into the after-steps' shell, after the planned env:
 * only what the sync changed or added, and never the shell's own variables.
 */
export function syncedExports(plan: RunPlan): string[] {
  const env = synced.get(plan);
  if (!env) return [];
  const planned = new Map(plan.env.map((v) => [v.name, v.value]));
  const lines: string[] = [];
  for (const [name, value] of env) {
    if (SHELL_OWN.has(name) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || planned.get(name) === value) continue;
    lines.push(quoteForExport(name, value));
  }
  return lines;
}
