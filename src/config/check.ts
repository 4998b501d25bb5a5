import type { Diagnostic } from './diagnostics.ts';
import type { WerckerConfig } from './schema.ts';
import { checkPipeline, pipelineOrError } from './validate.ts';
import { workflowErrors } from './workflows.ts';

/**
 * Everything check-config reports: the file's own diagnostics plus the per-pipeline ones —
 * errors for the pipeline named, warnings for every pipeline when none is. Workflow problems
 * are errors here, as in wercker's check-config (docs/wercker-compat.md §2.7).
 */
export function checkConfig(config: WerckerConfig | undefined, diagnostics: readonly Diagnostic[], pipeline?: string): Diagnostic[] {
  const all = workflowErrors(diagnostics);
  if (config) {
    if (pipeline) {
      const found = pipelineOrError(config, pipeline);
      all.push(...('severity' in found ? [found] : checkPipeline(config, found, 'error')));
    } else {
      for (const p of Object.values(config.pipelines)) all.push(...checkPipeline(config, p, 'warning'));
    }
  }
  return all.sort((a, b) => a.line - b.line || a.col - b.col);
}
