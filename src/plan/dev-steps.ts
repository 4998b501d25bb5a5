import type { Diagnostic } from '../config/diagnostics.ts';
import type { PipelineSpec, StepSpec } from '../config/schema.ts';

/**
 * The internal steps wercker built whatever `--enable-dev-steps` said, plus werker's own
 * `internal/release`. Every other `internal/*` step — `internal/watch` and `internal/shell`
 * among them — is a dev step (docs/wercker-compat.md §6).
 */
const ALWAYS_BUILT = new Set(['docker-push', 'docker-scratch-push', 'docker-build', 'store-container', 'publish-step', 'docker-run', 'docker-kill', 'release']);

/**
 * The pipeline as wercker ran it with `--enable-dev-steps=false`: dev steps are left out, each
 * with a warning ("Ignoring dev step"), and a step package given by a `file://` URL fails the
 * run with wercker's message. With dev steps on (the default) the pipeline is unchanged.
 */
export function applyDevSteps(pipeline: PipelineSpec, enabled: boolean, file: string): { pipeline: PipelineSpec; warnings: Diagnostic[] } {
  if (enabled) return { pipeline, warnings: [] };
  const warnings: Diagnostic[] = [];
  const keep = (steps: StepSpec[], path: string): StepSpec[] => steps.flatMap((step) => {
    if (step.kind === 'internal' && !ALWAYS_BUILT.has(step.name)) {
      warnings.push({
        severity: 'warning', code: 'dev-step-ignored', file, line: step.at.line, col: step.at.col, path,
        message: `Ignoring dev step: ${step.id}`, hint: 'dev steps run unless --enable-dev-steps=false is given',
      });
      return [];
    }
    if (step.url?.startsWith('file://') && !step.problem) {
      return [{ ...step, problem: `Dev mode is not enabled so refusing to copy local file urls: ${step.url} (drop --enable-dev-steps=false to use it)` }];
    }
    return [step];
  });
  const deployTargets = Object.fromEntries(Object.entries(pipeline.deployTargets).map(([k, steps]) => [k, keep(steps, `${pipeline.name}.${k}`)]));
  return {
    pipeline: { ...pipeline, steps: keep(pipeline.steps, `${pipeline.name}.steps`), afterSteps: keep(pipeline.afterSteps, `${pipeline.name}.after-steps`), deployTargets },
    warnings,
  };
}
