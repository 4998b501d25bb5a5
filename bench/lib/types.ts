/** What every benchmark gets: how many runs to make and where to say what it is doing. */
export interface BenchContext {
  runs: number;
  log(text: string): void;
}

/** One row of the results table, plus the facts behind it. */
export interface BenchRow {
  id: string;
  title: string;
  /** Formatted medians, or '—' where there is nothing to show. */
  werker: string;
  baseline: string;
  /** The ratio or value the goal is about. */
  result: string;
  goal: string;
  /** undefined: not measured. */
  met: boolean | undefined;
  /** How it is measured, and why that way (one paragraph for the doc). */
  method?: string;
  /** Measured facts behind the number (breakdowns, samples), shown under the table. */
  details: string[];
  /** For a missed goal: why, and what would close it. */
  note?: string;
  /** A table of its own under the results (the start-up table), as markdown. */
  table?: { title: string; markdown: string };
}

/** A benchmark: `id` is what `npm run bench -- p1` selects. */
export interface Benchmark {
  id: string;
  run(ctx: BenchContext): Promise<BenchRow>;
}
