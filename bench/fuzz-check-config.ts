import { randomInt } from 'node:crypto';
import { runFuzz } from '../test/helpers/fuzz.ts';
import type { BenchContext, BenchRow, Benchmark } from './lib/types.ts';

/** `BENCH_FUZZ_CASES` (default 50,000); the unit test runs a few hundred per `npm test`. */
const CASES = Number(process.env.BENCH_FUZZ_CASES ?? 50_000);

/**
 * The long fuzz run of check-config (foundation issue): corpus files mutated 1–4 times each,
 * every input must give a model or positioned diagnostics and never throw. A fresh seed each
 * bench run (or `BENCH_FUZZ_SEED`) explores new cases; a failure names its seed to replay with
 * `runFuzz(1, seed)`. Run once, not BENCH_RUNS times: it is a correctness sweep that also
 * reports its speed.
 */
export const fuzzCheckConfig: Benchmark = {
  id: 'fuzz',
  async run(ctx: BenchContext): Promise<BenchRow> {
    const seed = Number(process.env.BENCH_FUZZ_SEED ?? randomInt(1, 2 ** 31 - CASES));
    ctx.log(`${CASES} cases from seed ${seed}`);
    const started = performance.now();
    const { failures, cases } = runFuzz(CASES, seed);
    const seconds = (performance.now() - started) / 1000;
    const rate = cases / seconds;
    const details = [`seeds ${seed}…${seed + cases - 1}: ${cases} cases in ${seconds.toFixed(1)} s (${rate.toFixed(0)} cases/s), ${failures.length} failures`];
    for (const f of failures.slice(0, 5)) details.push(`failure: seed ${f.seed} (${f.file}): ${f.problem.split('\n')[0]}`);
    const met = failures.length === 0;
    return {
      id: 'fuzz', title: `check-config fuzz: ${cases} mutated corpus files`,
      werker: `${rate.toFixed(0)} cases/s`, baseline: '—', result: `${failures.length} failures`, goal: '0 failures', met, details,
      method: '`runFuzz` from test/helpers/fuzz.ts in the bench process: a corpus file mutated 1–4 times per case (lines dropped, duplicated, ' +
        're-indented, swapped, YAML tokens inserted, text cut), then decode → validate → check; a case fails if anything throws, a diagnostic is out ' +
        'of range or unpositioned, or there is neither a model nor an error. Set `BENCH_FUZZ_SEED` to repeat a run.',
      ...(met ? {} : { note: `Replay a failure with \`runFuzz(1, SEED)\` from test/helpers/fuzz.ts; each is a check-config bug: an input that threw or got no positioned diagnostic.` }),
    };
  },
};
