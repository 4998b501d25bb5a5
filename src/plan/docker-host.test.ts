import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.ts';
import { hostEnvironment } from './env-file.ts';
import { planRun } from './plan.ts';
import type { RunOptions } from './types.ts';

// docs/wercker-compat.md §3.2, §3.4: `docker: true` exports DOCKER_HOST (the engine socket werker mounts
// into the box), and it beats X_DOCKER_HOST. Planning only: this engine refuses the privileged box (§4.2).
const options: RunOptions = {
  artifacts: false, directMount: false, exposePorts: false, publish: [], pull: 'missing', noRemove: false, enableVolumes: false,
  ignoreFile: '.werckerignore', imageMap: [], commandTimeoutMs: 60_000, noResponseTimeoutMs: 60_000,
};

const yml = 'box: a\nbuild:\n  steps: [script: {code: x}]\nwith-docker:\n  docker: true\n  steps: [script: {code: x}]\n';

function envOf(pipeline: string, host: Record<string, string>, dockerHost?: string): { name: string; value: string }[] {
  const { config } = validateConfig('wercker.yml', yml);
  const plan = planRun({
    config: config!, pipeline: config!.pipelines[pipeline]!, kind: 'build', projectDir: '/src/app', workingDir: '/src/app/.werker',
    hostEnv: hostEnvironment(host, []), git: { branch: 'main', commit: 'abc', tag: '' }, options, overrides: { runId: 'r1' },
    ...(dockerHost ? { dockerHost } : {}),
  });
  return plan.env.filter((v) => v.name === 'DOCKER_HOST').map(({ name, value }) => ({ name, value }));
}

describe('DOCKER_HOST of docker: true', () => {
  it('§3.2: is exported only with docker: true, unix:///var/run/docker.sock, the engine socket werker mounts into the box', () => {
    expect(envOf('build', {})).toEqual([]);
    expect(envOf('with-docker', {})).toEqual([{ name: 'DOCKER_HOST', value: 'unix:///var/run/docker.sock' }]);
    expect(envOf('with-docker', {}, 'tcp://127.0.0.1:2375')).toEqual([{ name: 'DOCKER_HOST', value: 'tcp://127.0.0.1:2375' }]);
  });

  it('§3.4: beats X_DOCKER_HOST, which still passes when docker is off', () => {
    const host = { X_DOCKER_HOST: 'tcp://elsewhere:2375' };
    expect(envOf('with-docker', host, 'tcp://127.0.0.1:2375')).toEqual([{ name: 'DOCKER_HOST', value: 'tcp://127.0.0.1:2375' }]);
    expect(envOf('build', host)).toEqual([{ name: 'DOCKER_HOST', value: 'tcp://elsewhere:2375' }]);
  });
});
