import type { RunPlan } from '../../plan/types.ts';
import type { ContainerRuntime } from '../../runtime/runtime.ts';

/** The `<run id><image-name>` images internal/docker-build made in a run, kept per plan. */
const built = new WeakMap<RunPlan, Set<string>>();

export function rememberBuiltImage(plan: RunPlan, ref: string): void {
  let refs = built.get(plan);
  if (!refs) built.set(plan, (refs = new Set()));
  refs.add(ref);
}

/**
 * At the end of the run, unless --no-remove (docs/wercker-compat.md §6.3), the images
 * docker-build made are removed like the run's containers. A pushed image only loses its
 * `<run id><image-name>` name: the tags it was pushed as stay.
 */
export async function removeBuiltImages(plan: RunPlan, runtime: ContainerRuntime): Promise<void> {
  for (const ref of built.get(plan) ?? []) await runtime.removeImage(ref).catch(() => undefined);
  built.delete(plan);
}
