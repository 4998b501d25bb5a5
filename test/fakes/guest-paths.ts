import path from 'node:path';
import type { RunPlan } from '../../src/plan/types.ts';

/** Where the plan puts things in the box (plan.ts guestPaths and the WERCKER_* built-ins, docs/wercker-compat.md §4.3). */
const GUEST_TOPS = ['/pipeline', '/report', '/mnt'];

/**
 * The plan with its guest paths moved under `root`, for the fake runtime (whose box shell is a
 * host shell, see FakeRuntime's hostRoot): /pipeline/source becomes <root>/pipeline/source, in
 * plan.paths and in every pipeline variable that names one of them. Nothing else changes.
 */
export function guestPathsUnder(plan: RunPlan, root: string): RunPlan {
  const move = (p: string) => (GUEST_TOPS.some((top) => p === top || p.startsWith(`${top}/`)) ? path.join(root, p) : p);
  const { root: r, base, sourceDir, cache, output, report, mnt } = plan.paths;
  const paths = { root: move(r), base: move(base), sourceDir: move(sourceDir), cache: move(cache), output: move(output), report: move(report), mnt: move(mnt) };
  const env = plan.env.map((v) => (v.name.startsWith('WERCKER_') ? { ...v, value: move(v.value) } : v));
  return { ...plan, paths, env };
}
