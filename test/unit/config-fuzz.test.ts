import { describe, expect, it } from 'vitest';
import { runFuzz } from '../helpers/fuzz.ts';

// Bounded in CI; `npm run bench` runs a longer campaign with other seeds.
describe('check-config under mutated corpus files', () => {
  it('yields a model or positioned diagnostics for 3000 mutants, and never throws', () => {
    const { failures, cases } = runFuzz(3000, 20261124);
    expect(cases).toBe(3000);
    expect(failures.slice(0, 3).map((f) => `seed ${f.seed} (${f.file}): ${f.problem}`)).toEqual([]);
  });
});
