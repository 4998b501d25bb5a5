import { notMeasured } from './lib/not-measured.ts';
import type { BenchRow, Benchmark } from './lib/types.ts';

/** P7: deploy swap under load. werker's zero-downtime deploy to a server is not built yet. */
export const p7DeploySwap: Benchmark = {
  id: 'p7',
  run: async (): Promise<BenchRow> =>
    notMeasured('P7', 'deploy swap under load: failed requests; deploy time vs pull + run by hand', '0 failed requests', 'werker deploy'),
};
