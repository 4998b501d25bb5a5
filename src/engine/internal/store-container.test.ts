import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../../plan/types.ts';
import { storeTarget } from './store-container.ts';

const plan = (branch: string, options: Partial<RunPlan['options']>): RunPlan =>
  ({ runId: 'r1', env: [{ name: 'WERCKER_GIT_BRANCH', value: branch, hidden: false }], options }) as unknown as RunPlan;

describe('internal/store-container target (docs/wercker-compat.md §6.8)', () => {
  it('is run-<run id>, tagged with the branch (/ → _), else latest, with the message Run <run id>', () => {
    expect(storeTarget(plan('', {}))).toEqual({ repo: 'run-r1', tag: 'latest', message: 'Run r1', named: false });
    expect(storeTarget(plan('feature/x', {})).tag).toBe('feature_x');
  });

  it('takes --commit (lower-cased), --tag and --message when given', () => {
    expect(storeTarget(plan('main', { commit: { repo: 'Team/App', message: 'm' }, tag: 'v/1' }))).toEqual({ repo: 'team/app', tag: 'v_1', message: 'm', named: true });
  });
});
