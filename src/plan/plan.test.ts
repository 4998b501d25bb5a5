import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.ts';
import { planRun, withImageInfo, type PlanInput } from './plan.ts';
import { hostEnvironment, parseEnvFile } from './env-file.ts';
import type { RunOptions } from './types.ts';
import { flagRules } from '../../test/helpers/image-map.ts';

const options: RunOptions = {
  artifacts: false, directMount: false, exposePorts: false, publish: [], pull: 'missing', noRemove: false, enableVolumes: false,
  ignoreFile: '.werckerignore', imageMap: flagRules(['mdillon/postgis=werker-test/postgis', 'pitervergara/geodjango:nexchange=werker-test/python-django']),
  commandTimeoutMs: 25 * 60_000, noResponseTimeoutMs: 5 * 60_000,
};

function plan(yml: string, pipeline = 'build', extra: Partial<PlanInput> = {}) {
  const { config } = validateConfig('wercker.yml', yml);
  return planRun({
    config: config!, pipeline: config!.pipelines[pipeline]!, kind: 'build', projectDir: '/src/shop', workingDir: '/src/shop/.werker',
    hostEnv: new Map(), git: { branch: 'main', commit: 'abc123', tag: '' }, options, overrides: { runId: 'r1' }, ...extra,
  });
}

describe('planRun', () => {
  it('plans a service with url: file://<dir>#<pipeline> as built from that project, relative to this one (§5.4)', () => {
    const yml = 'box: a\nbuild:\n  services:\n    - id: api\n      url: file://../api#serve\n      cmd: ./server\n  steps: [script: {code: x}]\n';
    const p = plan(yml, 'build', { hostEnv: hostEnvironment({ X_A: '1', XXX_B: '2', HOME: '/root' }, []) });
    const svc = p.services[0]!;
    expect(svc.alias).toBe('api');
    expect(svc.written).toBe('file://../api#serve');
    expect(svc.image).toBe(`run-${svc.local!.runId}:latest`);
    expect(svc.local).toMatchObject({ dir: '/src/api', pipeline: 'serve', position: 'wercker.yml:4:7 build.services[0]', hostEnv: [['X_A', '1'], ['XXX_B', '2']] });
    expect(svc.cmd).toEqual(['./server']);
    expect(() => plan(yml.replace('file://../api#serve', 'http://x/api'))).toThrow(/wercker\.yml:4:7 build\.services\[0\] \(api\): url "http:\/\/x\/api" is not file:\/\/<dir>#<pipeline>/);
  });

  it('plans volumes as rw binds, each side of host:ctr expanded, a lone path on both sides; docker: true turns them on (§2.4, §4.2)', () => {
    const yml = 'box:\n  id: a\n  volumes: $D/x:/in, ${D}/same ,/a:b:c\nbuild:\n  steps: [script: {code: x}]\nwith-docker:\n  docker: true\n  steps: [script: {code: x}]\n';
    const host = hostEnvironment({ X_D: '/host' }, []);
    const p = plan(yml, 'build', { hostEnv: host });
    expect(p.box.volumes).toEqual(['/host/x:/in:rw', '/host/same:/host/same:rw', '/a:b:c:rw']);
    expect(p.options.enableVolumes).toBe(false);
    expect(plan(yml, 'with-docker', { hostEnv: host }).options.enableVolumes).toBe(true);
  });

  it('marks every env value literal for a server run (literalEnv), and none for a local one (§3.6)', () => {
    const host = hostEnvironment({ X_NOTE: '$(id)', XXX_PASSWORD: 'pa$$word' }, []);
    const yml = 'box: a\nbuild: {steps: [script: {code: x}]}\n';
    const server = plan(yml, 'build', { hostEnv: host, literalEnv: true, overrides: { runId: 'r1', gitBranch: 'x$(id)' } });
    expect(server.env.filter((v) => !v.literal)).toEqual([]);
    expect(server.env.find((v) => v.name === 'WERCKER_GIT_BRANCH')).toMatchObject({ value: 'x$(id)', literal: true });
    expect(server.env.find((v) => v.name === 'PASSWORD')).toMatchObject({ value: 'pa$$word', hidden: true, literal: true });
    expect(plan(yml, 'build', { hostEnv: host }).env.filter((v) => v.literal)).toEqual([]);
  });

  it('resolves the box and services with $VAR expansion and --image-map, keeping what the yml said', () => {
    const p = plan(`box: pitervergara/geodjango:nexchange\nbuild:\n  services:\n    - id: mdillon/postgis\n      env:\n        POSTGRES_USER: \${DB_USER}\n  steps: [script: {code: make}]\n`, 'build', {
      hostEnv: hostEnvironment({ X_DB_USER: 'shop' }, []),
    });
    expect(p.box).toMatchObject({ written: 'pitervergara/geodjango:nexchange', image: 'werker-test/python-django:latest', containerName: 'wercker-pipeline-r1' });
    expect(p.box.cmd).toEqual(['/bin/sh', '-c', 'if [ -e /bin/bash ]; then /bin/bash; else /bin/sh; fi']);
    expect(p.services[0]).toMatchObject({
      written: 'mdillon/postgis:latest', image: 'werker-test/postgis:latest', alias: 'postgis', linkPrefix: 'POSTGIS',
      env: [['POSTGRES_USER', 'shop']], containerName: 'wercker-service-mdillon-postgis_latest-r1',
    });
  });

  it('builds the environment in wercker\'s order: built-ins, X_ (overriding built-ins), then hidden XXX_', () => {
    const host = hostEnvironment({ X_WERCKER_GIT_BRANCH: 'override', XXX_TOKEN: 's3cret', PATH: '/usr/bin' }, parseEnvFile('X_FROM_FILE="a\\nb"\n#X_SKIPPED=1\nNOEQUALS\n'));
    const p = plan('box: a\nbuild: {steps: [script: {code: x}]}\n', 'build', { hostEnv: host });
    const names = p.env.map((v) => v.name);
    expect(names.slice(0, 3)).toEqual(['WERCKER', 'WERCKER_ROOT', 'WERCKER_SOURCE_DIR']);
    expect(names.indexOf('FROM_FILE')).toBeGreaterThan(names.indexOf('WERCKER_GIT_TAG'));
    expect(names.at(-1)).toBe('TOKEN');
    expect(p.env.find((v) => v.name === 'TOKEN')).toEqual({ name: 'TOKEN', value: 's3cret', hidden: true });
    expect(p.env.find((v) => v.name === 'FROM_FILE')!.value).toBe('a\nb');
    expect(names).not.toContain('PATH');
    expect(names).not.toContain('SKIPPED');
    const get = (n: string) => p.env.filter((v) => v.name === n).at(-1)!.value;
    expect(get('WERCKER_GIT_BRANCH')).toBe('override');
    expect(get('WERCKER_GIT_COMMIT')).toBe('abc123');
    expect(get('WERCKER_APPLICATION_NAME')).toBe('shop');
    expect(get('BUILD')).toBe('true');
    expect(get('WERCKER_BUILD_ID')).toBe('r1');
  });

  it('puts wercker-init first, makes script run.sh files, and marks steps werker cannot run yet', () => {
    const p = plan('box: a\nbuild:\n  steps:\n    - script: {name: one, code: echo 1}\n    - script: {code: "#!/bin/bash\\necho 2"}\n    - nahody/npm-install@1.1.1\n  after-steps:\n    - script: {code: echo done}\n');
    expect(p.steps.map((s) => [s.displayName, s.kind, s.status])).toEqual([
      ['wercker-init', 'init', 'ready'], ['one', 'script', 'ready'], ['script', 'script', 'ready'], ['npm-install', 'registry', 'unresolved'],
    ]);
    expect(p.steps[1]!.files['run.sh']).toBe('set -e\necho 1');
    expect(p.steps[2]!.files['run.sh']).toBe('#!/bin/bash\necho 2');
    expect(p.steps[0]!.files['init.sh']).toContain('alias sudo=""');
    expect(p.afterSteps.map((s) => s.displayName)).toEqual(['wercker-init', 'script']);
  });

  it('uses base-path and source-dir for WERCKER_SOURCE_DIR but keeps WERCKER_ROOT', () => {
    const p = plan('box: a\nsource-dir: app\nbuild:\n  base-path: /go/src/x/\n  steps: [script: {code: x}]\n');
    expect(p.paths).toMatchObject({ base: '/go/src/x', sourceDir: '/go/src/x/app' });
    expect(p.env.find((v) => v.name === 'WERCKER_ROOT')!.value).toBe('/pipeline/source');
  });

  it('bases WERCKER_APPLICATION_URL and WERCKER_RUN_URL on https://app.wercker.com, or on --base-url / a server\'s own (§3.2)', () => {
    const yml = 'box: a\nbuild:\n  steps: [script: {code: x}]\n';
    const env = (p: ReturnType<typeof plan>) => Object.fromEntries(p.env.map((v) => [v.name, v.value]));
    const owner = env(plan(yml)).WERCKER_APPLICATION_OWNER_NAME;
    expect(env(plan(yml))).toMatchObject({
      WERCKER_APPLICATION_URL: 'https://app.wercker.com/#applications/shop',
      WERCKER_RUN_URL: `https://app.wercker.com/${owner}/shop/runs/build/r1`, WERCKER_BUILD_URL: `https://app.wercker.com/${owner}/shop/runs/build/r1`,
    });
    const own = env(plan(yml, 'build', { overrides: { runId: 'r1', baseUrl: 'http://ci.example:7373' } }));
    expect(own).toMatchObject({ WERCKER_APPLICATION_URL: 'http://ci.example:7373/#applications/shop', WERCKER_RUN_URL: `http://ci.example:7373/${owner}/shop/runs/build/r1` });
  });

  it('takes a deploy target\'s steps with --deploy-target', () => {
    const yml = 'box: a\ndeploy:\n  steps: [script: {code: a}]\n  production:\n    - script: {name: ship, code: b}\n';
    const p = plan(yml, 'deploy', { options: { ...options, deployTarget: 'production' } });
    expect(p.steps.map((s) => s.displayName)).toEqual(['wercker-init', 'ship']);
    expect(() => plan(yml, 'deploy', { options: { ...options, deployTarget: 'nope' } })).toThrow(/no deploy target nope/);
  });

  it('sets WERCKER_DEPLOYTARGET_NAME for a deploy with --deploy-target only, not for a build running a deploy target (§3.2)', () => {
    const yml = 'box: a\ndeploy:\n  steps: [script: {code: a}]\n  production:\n    - script: {name: ship, code: b}\n';
    const target = (kind: 'build' | 'deploy') => plan(yml, 'deploy', { kind, options: { ...options, deployTarget: 'production' } }).env.find((v) => v.name === 'WERCKER_DEPLOYTARGET_NAME')?.value;
    expect(target('deploy')).toBe('production');
    expect(target('build')).toBeUndefined();
  });

  it('names the link variables from the ports and env, and from image metadata when known', () => {
    const p = plan('box: a\nbuild:\n  services:\n    - id: redis\n      name: cache-1\n  steps: [script: {code: x}]\n');
    expect(p.services[0]!.linkVarNames).toEqual(['CACHE_1_NAME']);
    const withInfo = withImageInfo(p, () => ({ id: 'x', env: ['REDIS_VERSION=7'], cmd: null, entrypoint: null, exposedPorts: ['6379/tcp'], workingDir: '', user: '', labels: {} }));
    expect(withInfo.services[0]!.linkVarNames).toEqual([
      'CACHE_1_PORT_6379_TCP', 'CACHE_1_PORT_6379_TCP_ADDR', 'CACHE_1_PORT_6379_TCP_PORT', 'CACHE_1_PORT_6379_TCP_PROTO',
      'CACHE_1_PORT', 'CACHE_1_NAME', 'CACHE_1_ENV_REDIS_VERSION',
    ]);
  });
});

describe('registry step properties', () => {
  const pkg = (required: boolean) => (() => ({
    dir: '/steps/s3sync', source: 'built-in', scripts: { init: false, run: true },
    manifest: { name: 's3sync', version: '1.0.0', summary: '', owners: ['wercker'], file: 'step.yml', properties: [{ name: 'bucket_url', required }] },
  })) as NonNullable<PlanInput['packages']>;

  it('takes a dashed yml property for an underscored manifest one: both are WERCKER_<STEP>_BUCKET_URL (§3.3)', () => {
    const yml = 'box: a\nbuild:\n  steps:\n    - s3sync:\n        bucket-url: s3://b/\n';
    const step = plan(yml, 'build', { packages: pkg(true) }).steps.find((s) => s.id === 's3sync')!;
    expect(step.status).toBe('ready');
    expect(step.properties).toMatchObject({ bucket_url: 's3://b/', 'bucket-url': 's3://b/' });
  });

  it('still refuses a required property written in neither form', () => {
    const yml = 'box: a\nbuild:\n  steps:\n    - s3sync:\n        other: x\n';
    const step = plan(yml, 'build', { packages: pkg(true) }).steps.find((s) => s.id === 's3sync')!;
    expect(step.status).toBe('unresolved');
    expect(step.problem).toMatch(/needs "bucket_url"/);
  });
});
