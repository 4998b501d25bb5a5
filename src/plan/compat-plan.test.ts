import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.ts';
import type { ResolvedPackage } from '../steps/resolve.ts';
import { planRun } from './plan.ts';
import type { RunOptions } from './types.ts';

// Planning rules that werker used to get otherwise (docs/wercker-compat.md, "differs" rows).
const options: RunOptions = {
  artifacts: false, directMount: false, exposePorts: false, publish: [], pull: 'missing', noRemove: false, enableVolumes: false,
  ignoreFile: '.werckerignore', imageMap: [], commandTimeoutMs: 60_000, noResponseTimeoutMs: 60_000,
};

function plan(yml: string, declared: string[] = []) {
  const { config } = validateConfig('wercker.yml', yml);
  const pkg: ResolvedPackage = {
    dir: '/steps/mystep', source: 'file', scripts: { init: false, run: true },
    manifest: { name: 'mystep', version: '1.0.0', summary: '', owners: [], file: 'step.yml', properties: declared.map((name) => ({ name, required: false })) },
  };
  return planRun({
    config: config!, pipeline: config!.pipelines.build!, kind: 'build', projectDir: '/src/shop', workingDir: '/src/shop/.werker',
    hostEnv: new Map(), git: { branch: 'main', commit: 'abc123', tag: '' }, options, overrides: { runId: 'r1' }, packages: () => pkg,
  });
}

describe('planning as wercker did', () => {
  it('§3.3: a registry step\'s undeclared `code` is not exported; other undeclared keys are', () => {
    const p = plan('box: busybox\nbuild:\n  steps:\n    - mystep:\n        code: should-not-export\n        color: red\n');
    expect(p.steps[1]!.properties).toEqual({ color: 'red' });
  });

  it('§3.3: a `code` the step.yml declares is exported like any property', () => {
    const p = plan('box: busybox\nbuild:\n  steps:\n    - mystep:\n        code: declared\n', ['code']);
    expect(p.steps[1]!.properties).toEqual({ code: 'declared' });
  });

  it('§2.4: the repository of the box and services is lower-cased for pulls, the tag kept', () => {
    const p = plan('box: werker-test/BusyBox:Stable\nbuild:\n  services:\n    - id: Library/Redis\n  steps: [script: {code: make}]\n');
    expect(p.box.image).toBe('werker-test/busybox:Stable');
    expect(p.services[0]!.image).toBe('library/redis:latest');
  });
});
