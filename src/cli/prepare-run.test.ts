import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerSocketBinds } from '../engine/docker-env.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { PipelineFlags } from './pipeline-options.ts';
import { prepareRun } from './prepare-run.ts';

// docs/wercker-compat.md §4.2: a `docker: true` box gets the engine's address werker itself uses
// as DOCKER_HOST, and its socket mounted when that is a unix socket. Planning only: this engine
// refuses the privileged box such a pipeline runs in.
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const YML = 'box: a\nbuild:\n  docker: true\n  steps: [script: {code: docker ps}]\nplain:\n  steps: [script: {code: x}]\n';

async function planOn(engineHost: string, pipeline = 'build', environmentFile = '') {
  const dir = mkdtempSync(path.join(tmpdir(), 'werker-prepare-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'wercker.yml'), YML);
  writeFileSync(path.join(dir, 'ENVIRONMENT'), environmentFile);
  const flags = {
    workingDir: path.join(dir, '.wercker'), pipeline, commandTimeout: '25', responseTimeout: '5', publish: [], imageMap: [], pull: 'missing',
  } as unknown as PipelineFlags;
  // The engine as connectDocker gives it: only its address is read while planning a box without services.
  const runtime = { host: engineHost } as unknown as ContainerRuntime;
  const plan = await prepareRun('build', dir, flags, path.join(dir, 'ENVIRONMENT'), runtime);
  return { host: plan.env.filter((v) => v.name === 'DOCKER_HOST').map((v) => v.value), binds: dockerSocketBinds(plan) };
}

describe('DOCKER_HOST of docker: true is the engine werker reached', () => {
  it('over TCP: that address, and no socket to mount', async () => {
    expect(await planOn('tcp://10.20.30.40:2375')).toEqual({ host: ['tcp://10.20.30.40:2375'], binds: [] });
  });

  it('over a unix socket elsewhere than /var/run: that socket, mounted at its own path', async () => {
    expect(await planOn('unix:///run/user/1000/docker.sock')).toEqual({
      host: ['unix:///run/user/1000/docker.sock'], binds: ['/run/user/1000/docker.sock:/run/user/1000/docker.sock'],
    });
  });

  it('a DOCKER_HOST among the variables is the box\'s to use, but never chooses what is mounted', async () => {
    const planned = await planOn('tcp://10.20.30.40:2375', 'build', 'XXX_DOCKER_HOST=unix:///etc\n');
    expect(planned.host).toEqual(['tcp://10.20.30.40:2375', 'unix:///etc']);
    expect(planned.binds).toEqual([]);
  });

  it('not without docker: true', async () => {
    expect(await planOn('tcp://10.20.30.40:2375', 'plain')).toEqual({ host: [], binds: [] });
  });
});
