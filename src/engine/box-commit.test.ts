import { describe, expect, it } from 'vitest';
import { commitOptions } from '../cli/commit-options.ts';
import type { PipelineFlags } from '../cli/pipeline-options.ts';
import type { PlannedStep, RunPlan } from '../plan/types.ts';
import { commitTarget, stepsAfterCheckpoint } from './box-commit.ts';

const flags = (extra: Record<string, unknown>) => ({ imageMap: [], ...extra }) as unknown as PipelineFlags;
const step = (name: string, kind: PlannedStep['kind'] = 'script', checkpoint?: string) => ({ displayName: name, kind, ...(checkpoint ? { checkpoint } : {}) }) as PlannedStep;

function plan(kind: RunPlan['kind'], branch: string, extra: Record<string, unknown>): RunPlan {
  return { runId: 'r1', kind, env: [{ name: 'WERCKER_GIT_BRANCH', value: branch, hidden: false }], options: { ...commitOptions(flags(extra), {}) } } as unknown as RunPlan;
}

describe('--commit and --checkpoint (docs/wercker-compat.md §4.10, §8.4)', () => {
  it('tags with --tag, else the git branch, with / → _; empty gives latest (build) or run-<id> (deploy)', () => {
    expect(commitTarget(plan('build', 'main', { commit: 'Team/App', tag: 'feature/x' }))).toEqual({ repo: 'team/app', tag: 'feature_x', message: 'Run r1' });
    expect(commitTarget(plan('build', 'topic/y', { commit: 'team/app', message: 'm' }))).toEqual({ repo: 'team/app', tag: 'topic_y', message: 'm' });
    expect(commitTarget(plan('build', '', { commit: 'team/app' }))?.tag).toBe('latest');
    expect(commitTarget(plan('deploy', '', { commit: 'team/app' }))?.tag).toBe('run-r1');
    expect(commitTarget(plan('build', 'main', {}))).toBeUndefined();
  });

  it('takes $WERCKER_GIT_BRANCH from the host as the --tag default', () => {
    expect(commitOptions(flags({ commit: 'team/app' }), { WERCKER_GIT_BRANCH: 'env/branch' }).commit).toEqual({ repo: 'team/app', tag: 'env/branch' });
  });

  it('skips the steps up to the checkpoint (wercker-init still runs), and none with dev steps off', () => {
    const steps = [step('wercker-init', 'init'), step('a'), step('b', 'script', 'two'), step('c')];
    const on = { steps, options: commitOptions(flags({ checkpoint: 'two' }), {}) } as unknown as RunPlan;
    expect(stepsAfterCheckpoint(on).run.map((s) => s.displayName)).toEqual(['wercker-init', 'c']);
    expect(stepsAfterCheckpoint(on).skipped.map((s) => s.displayName)).toEqual(['a', 'b']);
    const off = { steps, options: commitOptions(flags({ checkpoint: 'two', enableDevSteps: false }), {}) } as unknown as RunPlan;
    expect(stepsAfterCheckpoint(off).run).toEqual(steps);
    expect(off.options.checkpoint).toEqual({ name: 'two', skip: false });
  });
});
