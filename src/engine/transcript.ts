import type { RunPlan } from '../plan/types.ts';
import type { Bus } from './events.ts';

/** `--verbose` and `--debug` (docs/wercker-compat.md §3.5, §8.2). */
export type Verbosity = 'verbose' | 'debug';

const EXPORT_LINE = /^export ([A-Za-z_][A-Za-z0-9_]*)=/;

/**
 * What the user sees of the lines werker sends the box's shell (docs/wercker-compat.md §3.5):
 * with `--verbose` the `export` lines of the public env and the step properties, with `--debug`
 * every line, the hidden ones (hidden exports, setup commands, sentinels) marked `[ ]`. Each is a
 * log event, so the bus masks it like everything else: a secret never shows, not even here.
 */
export function transcript(plan: RunPlan, level: Verbosity, bus: Bus): (lines: string[]) => void {
  const hiddenNames = new Set(plan.env.filter((v) => v.hidden).map((v) => v.name));
  const isPublicExport = (line: string) => {
    const name = EXPORT_LINE.exec(line)?.[1];
    return name !== undefined && !hiddenNames.has(name);
  };
  return (lines) => {
    for (const line of lines) {
      if (isPublicExport(line)) bus.emit({ type: 'log', level: 'info', text: line });
      else if (level === 'debug') bus.emit({ type: 'log', level: 'info', text: `[ ] ${line}` });
    }
  };
}
