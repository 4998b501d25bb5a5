import type { BenchRow } from './types.ts';

/** The row of a benchmark whose feature is not built yet: shown, so the gap stays visible. */
export function notMeasured(id: string, title: string, goal: string, needs: string): BenchRow {
  return { id, title, werker: '—', baseline: '—', result: `not measured yet (needs ${needs})`, goal, met: undefined, details: [] };
}
