/** Where a step and its options are written (plan/types.ts PlannedStep). */
export interface WrittenStep {
  at?: { line: number; col: number };
  propertyAt?: Record<string, { line: number; col: number }>;
}

/**
 * internal/release's option errors (`watch: "soon" is not …`, `hosts is required …`) as
 * `file:line:col <pipeline>.internal/release.<option>: …`: at the option's key when it is
 * written, else at the step.
 */
export function locateOptionErrors(errors: string[], file: string, pipeline: string, step: WrittenStep): string[] {
  return errors.map((e) => {
    const key = /^([a-z0-9-]+)(?=[:\s[])/.exec(e)?.[1];
    const at = (key && step.propertyAt?.[key]) || step.at;
    const where = at ? `${file}:${at.line}:${at.col}` : file;
    const written = key !== undefined && step.propertyAt?.[key] !== undefined;
    return written ? `${where} ${pipeline}.internal/release.${key}${e.slice(key!.length)}` : `${where} ${pipeline}.internal/release: ${e}`;
  });
}
