/**
 * `npm run bench [-- p1 p3 …]`: runs the benchmarks, prints the results table and, on a full
 * run, rewrites docs/performance.md with it and the machine's description. A subset only
 * prints: a file with half its rows from another day would compare runs that shared no noise.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fuzzCheckConfig } from './fuzz-check-config.ts';
import { disposeOpenScopes } from './lib/cleanup-scope.ts';
import { describeMachine } from './lib/machine.ts';
import { renderReport, resultsTable } from './lib/report.ts';
import { benchRuns, formatMs } from './lib/timing.ts';
import type { BenchContext, BenchRow, Benchmark } from './lib/types.ts';
import { repoRoot } from './lib/werker-cli.ts';
import { p1Overhead } from './p1-overhead.ts';
import { p2Dispatch } from './p2-dispatch.ts';
import { p3PostgisReady } from './p3-postgis-ready.ts';
import { p4Output } from './p4-output.ts';
import { p5SourceCopy } from './p5-source-copy.ts';
import { p6DevReload } from './p6-dev-reload.ts';
import { p7DeploySwap } from './p7-deploy-swap.ts';
import { p7WatchRollback } from './p7-watch-rollback.ts';
import { p8CheckConfig } from './p8-check-config.ts';
import { p9SharedCache } from './p9-shared-cache.ts';
import { startup } from './startup.ts';

const ALL: Benchmark[] = [startup, p1Overhead, p2Dispatch, p3PostgisReady, p4Output, p5SourceCopy, p6DevReload, p7DeploySwap, p7WatchRollback, p8CheckConfig, p9SharedCache, fuzzCheckConfig];
const DOC = path.join(repoRoot, 'docs/performance.md');

function selected(args: string[]): Benchmark[] {
  const wanted = args.map((a) => a.toLowerCase());
  const unknown = wanted.filter((w) => !ALL.some((b) => b.id === w));
  if (unknown.length) {
    process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')}; known: ${ALL.map((b) => b.id).join(' ')}\n`);
    process.exit(2);
  }
  return wanted.length ? ALL.filter((b) => wanted.includes(b.id)) : ALL;
}

/** A benchmark that throws still gets its row, so one broken measurement does not hide the rest. */
async function runOne(bench: Benchmark, ctx: BenchContext): Promise<BenchRow> {
  const started = performance.now();
  try {
    return await bench.run(ctx);
  } catch (err) {
    const message = (err as Error).message;
    ctx.log(`FAILED: ${message}`);
    return { id: bench.id.toUpperCase(), title: bench.id, werker: '—', baseline: '—', result: 'error', goal: '—', met: false, details: [], note: `The benchmark failed: ${message}` };
  } finally {
    ctx.log(`finished in ${formatMs(performance.now() - started)}`);
  }
}

let interrupted = false;

async function main(): Promise<number> {
  const benches = selected(process.argv.slice(2));
  const full = benches.length === ALL.length;
  const runs = benchRuns();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      interrupted = true;
      process.stderr.write(`\nbench: ${sig}, removing what the benchmarks created\n`);
      void disposeOpenScopes().finally(() => process.exit(130));
    });
  }
  // As `npm test` does: the engine and the local images, built when missing (a no-op when present).
  const env = spawnSync('bash', ['scripts/test-env.sh'], { cwd: repoRoot, stdio: ['ignore', 2, 2] });
  if (env.status !== 0) return 3;
  const started = performance.now();
  const date = new Date();
  const rows: BenchRow[] = [];
  for (const bench of benches) {
    if (interrupted) return 130;
    const ctx: BenchContext = { runs, log: (text) => process.stderr.write(`[${bench.id}] ${text}\n`) };
    ctx.log(`starting (${runs} runs)`);
    rows.push(await runOne(bench, ctx));
  }
  // The installed package (lib/installed.ts) lives as long as the whole run.
  await disposeOpenScopes();
  const durationMs = performance.now() - started;
  process.stdout.write(`\n${resultsTable(rows)}\n\n`);
  for (const r of rows) if (r.table) process.stdout.write(`${r.table.title}\n\n${r.table.markdown}\n\n`);
  for (const r of rows) for (const d of r.details) process.stdout.write(`${r.id}: ${d}\n`);
  if (full) {
    await mkdir(path.dirname(DOC), { recursive: true });
    await writeFile(DOC, renderReport({ rows, machine: await describeMachine(), date, runs, durationMs }));
    process.stdout.write(`\nwritten to ${path.relative(process.cwd(), DOC)} (${formatMs(durationMs)})\n`);
  } else {
    process.stdout.write('\nsubset run: docs/performance.md left as it was (a full `npm run bench` rewrites it)\n');
  }
  return rows.some((r) => r.result === 'error') ? 1 : 0;
}

process.exitCode = await main();
