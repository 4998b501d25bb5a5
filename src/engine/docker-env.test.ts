import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.ts';
import { planRun } from '../plan/plan.ts';
import type { RunOptions } from '../plan/types.ts';
import { dockerNetworkExports } from './docker-env.ts';

const options: RunOptions = {
  artifacts: false, directMount: false, exposePorts: false, publish: [], pull: 'missing', noRemove: false, enableVolumes: false,
  ignoreFile: '.werckerignore', imageMap: [], commandTimeoutMs: 60_000, noResponseTimeoutMs: 60_000,
};

function plan(yml: string) {
  const { config } = validateConfig('wercker.yml', yml);
  return planRun({
    config: config!, pipeline: config!.pipelines.build!, kind: 'build', projectDir: '/src/shop', workingDir: '/src/shop/.werker',
    hostEnv: new Map(), git: { branch: 'main', commit: 'abc123', tag: '' }, options, overrides: { runId: 'r1' },
  });
}

// A privileged box cannot start on this machine's engine, so `docker: true` is checked here.
describe('dockerNetworkExports (docs/wercker-compat.md §3.2, §4.2)', () => {
  it('exports the run\'s network as DOCKER_NETWORK_NAME beside DOCKER_HOST with docker: true', () => {
    const p = plan('box: busybox\nbuild:\n  docker: true\n  steps: [script: {code: make}]\n');
    expect(p.env.map((v) => v.name)).toContain('DOCKER_HOST');
    expect(dockerNetworkExports(p, 'w-1a2b3c')).toEqual(['export DOCKER_NETWORK_NAME="w-1a2b3c"']);
  });

  it('exports nothing without docker: true', () => {
    expect(dockerNetworkExports(plan('box: busybox\nbuild:\n  steps: [script: {code: make}]\n'), 'w-1a2b3c')).toEqual([]);
  });
});
