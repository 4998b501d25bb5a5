import type { RunPlan } from '../plan/types.ts';

const MB = 1024 * 1024;

/**
 * `--docker-memory` for each service (docs/wercker-compat.md §5.2): a quarter of it, split
 * evenly among the services (the box gets the other three quarters, box.ts).
 */
export function serviceMemoryBytes(plan: RunPlan): number | undefined {
  const { memoryMb } = plan.options;
  if (!memoryMb || !plan.services.length) return undefined;
  return Math.round((memoryMb * 0.25 * MB) / plan.services.length);
}
