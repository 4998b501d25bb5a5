/** Runs per measurement: `BENCH_RUNS`, default 5. */
export function benchRuns(): number {
  const n = Number(process.env.BENCH_RUNS ?? 5);
  return Number.isInteger(n) && n > 0 ? n : 5;
}

export function median(values: number[]): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Milliseconds since `since` (a `performance.now()` reading). */
export const elapsed = (since: number): number => performance.now() - since;

/**
 * Runs two arms `runs` times each, alternating which goes first (A B, B A, A B …), so both see
 * the same noise of a shared machine and neither always runs on a cache the other warmed.
 * `warmup` untimed rounds come first (tsx's transform cache, the page cache, dockerd's).
 */
export async function interleave<A, B>(
  runs: number, armA: (i: number) => Promise<A>, armB: (i: number) => Promise<B>, opts: { warmup?: number; log?: (text: string) => void } = {},
): Promise<[A[], B[]]> {
  for (let i = 0; i < (opts.warmup ?? 0); i++) {
    await armA(-1);
    await armB(-1);
  }
  const a: A[] = [];
  const b: B[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      a.push(await armA(i));
      b.push(await armB(i));
    } else {
      b.push(await armB(i));
      a.push(await armA(i));
    }
    opts.log?.(`run ${i + 1}/${runs} done`);
  }
  return [a, b];
}

/** `1234.5` → `1.23 s`, `12.3` → `12.3 ms`, `0.42` → `0.42 ms`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (Math.abs(ms) >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/**
 * The median of per-run ratios `num[i] / den[i]`. Runs are made in pairs a moment apart, so a
 * burst of load from a neighbour hits both halves of a pair; the median of pair ratios drops
 * such a burst where the ratio of the two medians could still mix a calm run with a busy one.
 */
export function pairedRatio(num: number[], den: number[]): number {
  return median(num.map((n, i) => n / den[i]!));
}
