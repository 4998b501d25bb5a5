import { machineLines, type Machine } from './machine.ts';
import { markdownTable } from './markdown.ts';
import type { BenchRow } from './types.ts';

const MET = (met: boolean | undefined) => (met === undefined ? '—' : met ? 'yes' : '**no**');

/** The results table: benchmark, werker median, baseline median, ratio or value, goal, met? */
export function resultsTable(rows: BenchRow[]): string {
  return markdownTable(
    ['', 'benchmark', 'werker (median)', 'baseline (median)', 'ratio / value', 'goal', 'met?'],
    rows.map((r) => [r.id, r.title, r.werker, r.baseline, r.result, r.goal, MET(r.met)]),
  );
}

export interface ReportInput {
  rows: BenchRow[];
  machine: Machine;
  date: Date;
  runs: number;
  durationMs: number;
}

/** docs/performance.md, whole: it is rewritten by every full `npm run bench`. */
export function renderReport({ rows, machine, date, runs, durationMs }: ReportInput): string {
  const missed = rows.filter((r) => r.met === false);
  const out = [
    '# Performance',
    '',
    `<!-- Written by \`npm run bench\` (bench/run.ts); edit the benchmarks in bench/, not this file. -->`,
    '',
    `Measured ${date.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${runs} runs per measurement (medians), whole bench ${(durationMs / 60_000).toFixed(1)} min.`,
    'Each baseline is the same work done by hand with the docker CLI in a shell script, measured in the same',
    'bench run with its runs interleaved with werker\'s (A B, B A, …), so the load of a shared machine falls on',
    'both. Ratios are medians of the per-pair ratios; P2, P3 and P8 have absolute goals.',
    '',
    resultsTable(rows),
    '',
    ...rows.flatMap((r) => (r.table ? [`## ${r.table.title}`, '', r.table.markdown, ''] : [])),
    '## Machine',
    '',
    ...machineLines(machine),
    '',
    '## How to run',
    '',
    '```sh',
    'npm run bench                 # everything (6–10 min on 2 cores, with load); rewrites this file',
    'npm run bench -- startup p1   # a subset (startup, p1 … p8, fuzz); prints the table, leaves this file alone',
    'BENCH_RUNS=9 npm run bench    # more runs per measurement (default 5)',
    'BENCH_FUZZ_CASES=200000 BENCH_FUZZ_SEED=123 npm run bench -- fuzz',
    '```',
    '',
    'It needs a Docker engine and the local `werker-test/*` images (it runs `scripts/test-env.sh` first, which',
    'builds what is missing). Everything a benchmark creates — containers, networks, volumes, temp dirs (P5',
    'writes ~500 MB) — is removed when it ends, also when it fails or is interrupted.',
    '',
  ];
  if (missed.length) {
    out.push('## Missed goals', '');
    for (const r of missed) out.push(`**${r.id}** — ${r.note ?? 'no analysis recorded.'}`, '');
  }
  out.push('## Method and details', '');
  for (const r of rows) {
    if (!r.method && !r.details.length) continue;
    out.push(`**${r.id} ${r.title}.**${r.method ? ` ${r.method}` : ''}`, '');
    for (const d of r.details) out.push(`- ${d}`);
    out.push('');
  }
  return out.join('\n');
}
