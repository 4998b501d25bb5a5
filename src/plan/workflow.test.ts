import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.ts';
import { inputsOf, planWorkflow, readySteps } from './workflow.ts';

const workflowsOf = (yml: string) => {
  const { config, diagnostics } = validateConfig('wercker.yml', yml);
  expect(diagnostics.filter((d) => d.code === 'invalid-workflow')).toEqual([]);
  return config!.workflows;
};

const YML = `box: a
build: {steps: [x]}
test: {steps: [x]}
lint: {steps: [x]}
deploy: {steps: [x]}
workflows:
  - name: fanin
    pipelines:
      - name: ship
        pipelineName: deploy
        requires: [test-a, lint]
        envFile: ci/ship.env
      - name: build
      - name: test-a
        pipelineName: test
        requires: [build]
      - name: lint
        requires: [build]
      - name: pick
        pipelineName: deploy
        requires: [ship]
        artifactPipeline: build
`;

describe('planWorkflow (docs/wercker-compat.md §4.11)', () => {
  it('runs every pipeline as a deploy with artifacts, in declaration order once its requirements ran', () => {
    const plan = planWorkflow(workflowsOf(YML), 'fanin')!;
    expect(plan.steps.map((s) => s.name)).toEqual(['build', 'test-a', 'lint', 'ship', 'pick']);
    expect(plan.steps.every((s) => s.kind === 'deploy' && s.artifacts)).toBe(true);
    expect(plan.steps.map((s) => s.pipeline)).toEqual(['build', 'test', 'lint', 'deploy', 'deploy']);
  });

  it('gives the root the project, one requirement its output, several a merge, artifactPipeline only that output', () => {
    const plan = planWorkflow(workflowsOf(YML), 'fanin')!;
    expect(Object.fromEntries(plan.steps.map((s) => [s.name, s.source]))).toEqual({
      build: { layout: 'project' },
      'test-a': { layout: 'output', from: 'build' },
      lint: { layout: 'output', from: 'build' },
      ship: { layout: 'merged', from: ['test-a', 'lint'] },
      pick: { layout: 'output', from: 'build' },
    });
    expect(plan.steps.map(inputsOf)).toEqual([[], ['build'], ['build'], ['test-a', 'lint'], ['build']]);
  });

  it('carries the env file of an entry and the run\'s deploy target to every entry', () => {
    const plain = planWorkflow(workflowsOf(YML), 'fanin')!;
    expect(plain.steps.map((s) => s.envFile)).toEqual([undefined, undefined, undefined, 'ci/ship.env', undefined]);
    expect(plain.steps.some((s) => 'deployTarget' in s)).toBe(false);
    const targeted = planWorkflow(workflowsOf(YML), 'fanin', { deployTarget: 'production' })!;
    expect(targeted.steps.map((s) => s.deployTarget)).toEqual(Array(5).fill('production'));
  });

  it('is undefined for a name that is not a workflow of the file', () => {
    expect(planWorkflow(workflowsOf(YML), 'nope')).toBeUndefined();
  });

  it('says which steps may start: all whose requirements passed and that have not started', () => {
    const plan = planWorkflow(workflowsOf(YML), 'fanin')!;
    const names = (passed: string[], started: string[]) => readySteps(plan, new Set(passed), new Set(started)).map((s) => s.name);
    expect(names([], [])).toEqual(['build']);
    expect(names(['build'], ['build'])).toEqual(['test-a', 'lint']);
    expect(names(['build', 'test-a'], ['build', 'test-a', 'lint'])).toEqual([]);
    expect(names(['build', 'test-a', 'lint'], ['build', 'test-a', 'lint'])).toEqual(['ship']);
  });
});
