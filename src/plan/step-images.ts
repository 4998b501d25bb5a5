import { expandVars } from '../config/interpolate.ts';
import { PipelineEnv } from './environment.ts';
import { describeOrigin, resolveImage } from './image-map.ts';
import type { PlannedStep, RunPlan } from './types.ts';

/**
 * The image an internal/docker-run step will ask the engine for, for `werker plan`: `written` as
 * the wercker.yml gives it (expanded against the pipeline env; a step's own exports are only known
 * when it runs), `image` after --image-map (docs/wercker-compat.md §6.4). An image docker-build
 * makes in the run is used as it is when it exists, so the plan shows the mapping that applies otherwise.
 */
export function dockerRunImage(plan: RunPlan, step: PlannedStep): { written: string; image: string; mappedBy?: string } | undefined {
  if (step.kind !== 'internal' || step.name !== 'docker-run' || !step.properties.image) return undefined;
  const written = expandVars(step.properties.image, new PipelineEnv(plan.env).lookup);
  const mapped = resolveImage(written, plan.options.imageMap);
  return { written, image: mapped.image, ...(mapped.rule ? { mappedBy: describeOrigin(mapped.rule.origin) } : {}) };
}
