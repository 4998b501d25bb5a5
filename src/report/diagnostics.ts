import pc from 'picocolors';
import { codeFrame, formatDiagnostic, type Diagnostic } from '../config/diagnostics.ts';

/** Prints diagnostics for a person: the one-line form, a code frame, and the hint. */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], sourceText: string | undefined, color: boolean): string {
  const c = color ? pc : pc.createColors(false);
  // Split once: a file with thousands of warnings would otherwise be split thousands of times.
  const lines = sourceText?.split('\n');
  return diagnostics
    .map((d) => {
      const head = formatDiagnostic(d);
      const colored = d.severity === 'error' ? c.red(head) : c.yellow(head);
      const frame = lines ? codeFrame(lines, d.line, d.col) : '';
      const parts = [colored];
      if (frame) parts.push(c.dim(frame));
      if (d.hint) parts.push(`  ${c.cyan('hint:')} ${d.hint}`);
      return parts.join('\n');
    })
    .join('\n\n');
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return { errors, warnings: diagnostics.length - errors };
}
