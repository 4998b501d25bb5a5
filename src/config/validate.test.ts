import { describe, expect, it } from 'vitest';
import { validateConfig } from './validate.ts';
import { checkConfig } from './check.ts';

const load = (text: string) => {
  const r = validateConfig('wercker.yml', text);
  return { ...r, all: checkConfig(r.config, r.diagnostics) };
};
const codes = (text: string) => load(text).all.map((d) => `${d.severity}:${d.code}@${d.line}:${d.col}`);

describe('step forms', () => {
  it('reads a bare step, nested properties, and properties beside the key', () => {
    const { config, all } = load(`box: node
build:
  steps:
    - npm-install
    - script:
        name: nested
        code: echo a
    - script:
      name: beside
      code: echo b
    - wercker/add-to-known_hosts@3.0.0:
        hostname: example.invalid
        use-md5: yes
        port: 0022
    - install "file:///steps/x"
`);
    // 0022 is octal in YAML 1.1: wercker passed "18"; werker keeps the text and says so.
    expect(all.map((d) => `${d.code}@${d.line}:${d.col}`)).toEqual(['lossy-value@14:15']);
    const steps = config!.pipelines.build!.steps;
    expect(steps.map((s) => [s.id, s.kind, s.displayName, s.properties])).toEqual([
      ['npm-install', 'registry', undefined, {}],
      ['script', 'script', 'nested', { code: 'echo a' }],
      ['script', 'script', 'beside', { code: 'echo b' }],
      ['wercker/add-to-known_hosts@3.0.0', 'registry', undefined, { hostname: 'example.invalid', 'use-md5': 'true', port: '0022' }],
      ['install "file:///steps/x"', 'registry', undefined, {}],
    ]);
    expect(steps[3]).toMatchObject({ owner: 'wercker', name: 'add-to-known_hosts', version: '3.0.0' });
    expect(steps[4]).toMatchObject({ name: 'install', url: 'file:///steps/x' });
    expect(steps[1]!.at).toEqual({ line: 5, col: 7 });
  });

  it('drops the value of a step whose properties sit beside it, with a warning (wercker did the same)', () => {
    const { config, all } = load(`box: node\nbuild:\n  steps:\n    - script: {code: lost}\n      name: kept\n`);
    expect(config!.pipelines.build!.steps[0]).toMatchObject({ displayName: 'kept', properties: {} });
    expect(all.map((d) => d.code)).toEqual(['sibling-step-value-dropped']);
    expect(all[0]).toMatchObject({ line: 4, col: 15, path: 'build.steps.0.script' });
  });

  it('keeps the text of numbers in step properties and says where wercker differed', () => {
    const { config, all } = load(`box: node\nbuild:\n  steps:\n    - hugo:\n        version: 0.12\n        n: 010\n        ok: 12\n        list: [a]\n        none:\n`);
    expect(config!.pipelines.build!.steps[0]!.properties).toEqual({ version: '0.12', n: '010', ok: '12', list: '', none: '' });
    expect(all.map((d) => `${d.path}:${d.code}`)).toEqual(['build.steps.0.hugo.version:lossy-value', 'build.steps.0.hugo.n:lossy-value', 'build.steps.0.hugo.list:lossy-value']);
  });

  it.each([
    ['- script:\n', 'empty-step'],
    ['- script: text\n', 'empty-step'],
    ['- [a, b]\n', 'unknown-step-form'],
    ['- script: [a]\n', 'unknown-step-form'],
    ['-\n', 'empty-step'],
  ])('rejects the step %j', (item, code) => {
    const { all } = load(`box: node\nbuild:\n  steps:\n    ${item}`);
    expect(all.filter((d) => d.severity === 'error').map((d) => `${d.code}@${d.line}`)).toEqual([`${code}@4`]);
  });
});

describe('YAML 1.1 as wercker read it', () => {
  it('reads yes/on as booleans, keeps the text of box fields, and leaves 8000:80 alone', () => {
    const { config } = load(`box:\n  id: node\n  tag: 1.10\n  env:\n    port: 0755\n    flag: yes\n  ports: [8000:80, 5000]\nbuild:\n  docker: on\n  steps: [npm-test]\n`);
    expect(config!.box).toMatchObject({ id: 'node', tag: '1.10', env: { PORT: '0755', FLAG: 'yes' }, ports: ['8000:80', '5000'] });
    expect(config!.pipelines.build!.docker).toBe(true);
  });

  it('resolves anchors and merge keys', () => {
    const { config, all } = load(`box: ruby\ndefault: &d\n  after-steps:\n    - slack\nbuild:\n  <<: *d\n  steps: [rspec]\n`);
    expect(all).toEqual([]);
    expect(config!.pipelines.build!.afterSteps.map((s) => s.id)).toEqual(['slack']);
  });

  it('warns on duplicate keys and keeps the later value', () => {
    const { config, all } = load(`box: a\nbox: b\nbuild: {steps: [x]}\n`);
    expect(config!.box!.id).toBe('b');
    expect(all.map((d) => `${d.code}@${d.line}:${d.col}`)).toEqual(['duplicate-key@2:1']);
  });
});

describe('what wercker dropped silently, werker warns about', () => {
  it('top-level keys that are not pipelines', () => {
    expect(codes(`box: a\nports:\n  - "8000"\nbuild: {steps: [x]}\n`)).toEqual(['warning:not-a-pipeline@3:3']);
  });

  it('a pipeline with a key that is neither known nor a step list: wercker dropped it, werker fails it when run', () => {
    const { config, all } = load(`box: a\nbuild:\n  steps: [x]\n  after_steps: oops\n`);
    expect(config!.pipelines.build!.problems).toMatchObject([{ code: 'pipeline-dropped', at: { line: 4, col: 3 } }]);
    expect(all.map((d) => `${d.severity}:${d.code}@${d.line}:${d.col}`)).toEqual(['warning:pipeline-dropped@4:3']);
    expect(all[0]).toMatchObject({ hint: 'did you mean "after-steps"?' });
    const run = checkConfig(config, [], 'build');
    expect(run).toMatchObject([{ severity: 'error', path: 'build.after_steps', message: expect.stringMatching(/^pipeline build cannot run: "after_steps" is not a pipeline key/) }]);
  });

  it('source-dir inside a pipeline: wercker dropped the pipeline, werker keeps it as an extension and warns at the key', () => {
    const { config, all } = load(`box: a\nbuild:\n  source-dir: app\n  steps: [x]\n`);
    expect(config!.pipelines.build).toMatchObject({ sourceDir: 'app', deployTargets: {} });
    expect(config!.pipelines.build!.problems).toBeUndefined();
    expect(all).toMatchObject([{
      severity: 'warning', code: 'pipeline-source-dir', line: 3, col: 3, path: 'build.source-dir',
      message: expect.stringMatching(/werker extension.*wercker read it as a deploy target and dropped this pipeline \("No pipeline named build"\)/),
      hint: expect.stringContaining('move source-dir to the top level'),
    }]);
    // Run, the pipeline is checked without an error (the warning stays a warning).
    expect(checkConfig(config, [], 'build').filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('values of the wrong type in known keys', () => {
    const { config, all } = load(`box: {id: a, ports: 8000, bogus: 1}\ncommand-timeout: 2.5\nno-response-timeout: 90\nbuild: {steps: [x]}\n`);
    expect(config!.box!.ports).toEqual([]);
    expect(config!.commandTimeout).toBeUndefined();
    expect(config!.noResponseTimeout).toBe(60);
    expect(all.map((d) => `${d.code}@${d.line}:${d.col}`)).toEqual(['ignored-value@1:21', 'unknown-key@1:27', 'ignored-value@2:18', 'capped-value@3:22']);
  });

  it('keys of a box named like an object\'s own properties are unknown keys, not a crash', () => {
    const { config, all } = load(`box:\n  id: a\n  toString: 1\n  __proto__: 2\n  constructor: 3\nbuild: {steps: [x]}\n`);
    expect(config!.box!.id).toBe('a');
    expect(all.map((d) => `${d.code}@${d.line}:${d.col}`)).toEqual(['unknown-key@3:3', 'unknown-key@4:3', 'unknown-key@5:3']);
  });

  it('deploy targets', () => {
    const { config } = load(`box: a\ndeploy:\n  steps: [x]\n  production:\n    - script: {code: ship}\n`);
    expect(Object.keys(config!.pipelines.deploy!.deployTargets)).toEqual(['production']);
  });
});

describe('pipeline problems', () => {
  it('are warnings for a whole-file check and errors for the pipeline asked for', () => {
    const text = `build:\ndeploy:\n  steps: []\n`;
    const r = validateConfig('wercker.yml', text);
    expect(checkConfig(r.config, r.diagnostics).map((d) => `${d.severity}:${d.code}`)).toEqual(['warning:empty-pipeline', 'warning:no-box', 'warning:no-steps']);
    // A pipeline without steps ran in wercker (box, wercker-init, passed): never an error.
    expect(checkConfig(r.config, r.diagnostics, 'deploy').map((d) => `${d.severity}:${d.code}`)).toEqual(['error:no-box', 'warning:no-steps']);
    expect(checkConfig(r.config, r.diagnostics, 'nope')).toMatchObject([{ severity: 'error', message: 'No pipeline named nope', hint: 'pipelines in this file: build, deploy' }]);
  });
});

describe('workflows', () => {
  const base = `box: a\nbuild: {steps: [x]}\ntest: {steps: [x]}\n`;
  it('accepts a valid chain', () => {
    const { config, all } = load(`${base}workflows:\n  - name: ci\n    pipelines:\n      - name: build\n      - name: t\n        pipelineName: test\n        requires: [build]\n`);
    expect(all).toEqual([]);
    expect(config!.workflows[0]!.pipelines[1]).toEqual({ name: 't', pipelineName: 'test', requires: ['build'] });
  });
  it.each([
    ['      - name: build\n      - name: build\n', 'duplicate pipeline build'],
    ['      - name: nope\n', 'pipeline nope is not defined'],
    ['      - name: build\n        requires: [x]\n', 'no pipeline x required by build'],
    ['      - name: build\n      - name: test\n', 'multiple root pipelines: build, test'],
    ['      - name: build\n        requires: [test]\n      - name: test\n        requires: [build]\n', 'no root pipeline'],
    ['      - name: build\n      - name: test\n        requires: [build]\n        artifactPipeline: test\n', 'artifactPipeline test of test is not a pipeline test requires'],
    ['      - name: build\n      - name: test\n        requires: [build]\n        artifactPipeline: nope\n', 'artifactPipeline nope of test is not a pipeline test requires'],
  ])('rejects %j', (pipelines, message) => {
    const { all } = load(`${base}workflows:\n  - name: ci\n    pipelines:\n${pipelines}`);
    expect(all.find((d) => d.severity === 'error')?.message).toBe(`invalid workflow ci: ${message}`);
  });
  it('accepts an artifactPipeline required through another pipeline', () => {
    const { all } = load(`${base}c: {steps: [x]}\nworkflows:\n  - name: ci\n    pipelines:\n      - name: build\n      - name: test\n        requires: [build]\n      - name: c\n        requires: [test]\n        artifactPipeline: build\n`);
    expect(all).toEqual([]);
  });
  it('finds cycles below the root', () => {
    const { all } = load(`${base}c: {steps: [x]}\nworkflows:\n  - name: ci\n    pipelines:\n      - name: build\n      - name: test\n        requires: [build, c]\n      - name: c\n        requires: [test]\n`);
    expect(all.find((d) => d.severity === 'error')?.message).toBe('invalid workflow ci: contains cycle test -> c -> test');
  });
});

describe('hostile YAML', () => {
  it('stops an alias bomb with a positioned error instead of expanding it', () => {
    let src = 'a0: &a0 [x,x,x,x,x,x,x,x,x]\n';
    for (let i = 1; i < 12; i++) src += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]\n`;
    const { diagnostics } = validateConfig('wercker.yml', src);
    expect(diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['yaml-too-many-nodes']);
  });

  it('reports a self-referencing alias', () => {
    const { diagnostics } = validateConfig('wercker.yml', 'a: &a\n  b: *a\n');
    expect(diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`)).toEqual(['yaml-alias@2:6']);
  });
});

describe('what wercker accepted and failed on only when the pipeline ran (docs/wercker-compat.md §2)', () => {
  it('reads a step id with a space as wercker did, warns at its position, and carries the error for the run', () => {
    const { config, all } = load(`box: a\nbuild:\n  steps:\n    - bundle install\n    - pip install -r requirements/dev.txt\n`);
    expect(all.map((d) => `${d.severity}:${d.code}@${d.line}:${d.col}:${d.path}`)).toEqual([
      'warning:invalid-step-id@4:7:build.steps.0', 'warning:invalid-step-id@5:7:build.steps.1',
    ]);
    const [bundle, pip] = config!.pipelines.build!.steps;
    // wercker: the whole text is the identifier; before a "/" the owner, after an "@" the version.
    expect(bundle).toMatchObject({ id: 'bundle install', kind: 'registry', owner: 'wercker', name: 'bundle install', version: '*', at: { line: 4, col: 7 } });
    expect(pip).toMatchObject({ owner: 'pip install -r requirements', name: 'dev.txt' });
    expect(bundle!.problem).toMatch(/^The step "bundle install" was not found: .*no spaces.*write "- script: \{code: bundle install\}"/);
    expect(checkConfig(config, [], 'build').filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('keeps a pipeline whose steps are a mapping, with the problem: a warning in the whole-file check, an error when it is run', () => {
    const text = `box: node\nbuild:\n  steps: [npm-test]\ndeploy:\n  steps:\n    uetchy/gh-pages:\n    token: x\n`;
    const { config, all } = load(text);
    expect(all.map((d) => `${d.severity}:${d.code}@${d.line}:${d.col}:${d.path}`)).toEqual(['warning:steps-not-a-list@6:5:deploy.steps']);
    expect(all[0]!.hint).toBe('make each step a list item: "- uetchy/gh-pages:" with its properties indented under it');
    expect(checkConfig(config, [], 'build')).toEqual([]);
    expect(checkConfig(config, [], 'deploy')).toMatchObject([{
      severity: 'error', line: 6, col: 5, path: 'deploy.steps',
      message: 'pipeline deploy cannot run: its "steps" is a mapping, not a list of steps (wercker dropped this pipeline: "No pipeline named deploy")',
    }]);
  });

  it('refuses a box with "@" only for the pipelines that use it', () => {
    const own = load(`box: olger/box-yeoman@0.5.4\nbuild:\n  box: node\n  steps: [npm-test]\n`);
    expect(own.all.map((d) => `${d.severity}:${d.code}@${d.line}:${d.col}`)).toEqual(['warning:invalid-image@1:6']);
    expect(own.all[0]!.message).toMatch(/no pipeline uses this box/);
    expect(checkConfig(own.config, own.diagnostics, 'build')).toEqual([own.diagnostics[0]]);

    const used = load(`box: olger/box-yeoman@0.5.4\nbuild:\n  steps: [npm-test]\ndeploy:\n  box: node\n  steps: [x]\n`);
    expect(used.all.map((d) => `${d.severity}:${d.code}@${d.line}:${d.col}`)).toEqual(['warning:invalid-image@1:6']);
    expect(checkConfig(used.config, used.diagnostics, 'deploy')).toEqual([]);
    expect(checkConfig(used.config, used.diagnostics, 'build')).toMatchObject([{
      severity: 'error', code: 'invalid-image', line: 1, col: 6, path: 'box',
      message: 'Invalid box name, \'@\' is not allowed in docker repositories (pipeline build uses "olger/box-yeoman@0.5.4")',
    }]);
    const service = load(`box: node\nbuild:\n  services: [mongo@1.0]\n  steps: [x]\n`);
    expect(checkConfig(service.config, service.diagnostics, 'build')).toMatchObject([{ severity: 'error', path: 'build.services.0', message: /Invalid service name/ }]);
  });

  it('plans a pipeline whose steps are empty (wercker ran the box and passed), with a warning', () => {
    const { config, all } = load(`box: a\nbuild:\n  steps:\n`);
    expect(config!.pipelines.build!.steps).toEqual([]);
    expect(all.map((d) => `${d.severity}:${d.code}`)).toEqual(['warning:no-steps']);
    expect(checkConfig(config, [], 'build').map((d) => `${d.severity}:${d.code}`)).toEqual(['warning:no-steps']);
  });

  it('keeps workflow problems as warnings for pipeline runs; check-config makes them errors', () => {
    const r = validateConfig('wercker.yml', `box: a\nbuild: {steps: [x]}\nworkflows:\n  - name: ci\n    pipelines:\n      - name: nope\n`);
    expect(r.diagnostics.map((d) => `${d.severity}:${d.code}@${d.line}:${d.col}`)).toEqual(['warning:invalid-workflow@4:5']);
    expect(checkConfig(r.config, r.diagnostics).map((d) => `${d.severity}:${d.code}`)).toEqual(['error:invalid-workflow']);
    expect(checkConfig(r.config, r.diagnostics, 'build').map((d) => `${d.severity}:${d.code}`)).toEqual(['error:invalid-workflow']);
  });
});

describe('key order is wercker\'s', () => {
  it('in a step item with a repeated key, the first key stays the step id', () => {
    const { config, all } = load(`box: a\nbuild:\n  steps:\n    - script:\n      name: greet\n      script:\n        code: echo lost\n`);
    const [step] = config!.pipelines.build!.steps;
    // Go's yaml.MapSlice kept [script, name, script]: id "script", data name + script (a mapping, so "").
    expect(step).toMatchObject({ id: 'script', kind: 'script', displayName: 'greet', properties: { script: '' }, at: { line: 4, col: 7 } });
    expect(all.map((d) => `${d.code}@${d.line}:${d.col}`)).toEqual(['duplicate-key@6:7', 'lossy-value@7:9']);
  });

  it('elsewhere a repeated key keeps its first place and the later value wins', () => {
    const { config } = load(`box: a\nbuild: {steps: [x]}\ndeploy: {steps: [y]}\nbuild: {steps: [z]}\n`);
    expect(Object.keys(config!.pipelines)).toEqual(['build', 'deploy']);
    expect(config!.pipelines.build!.steps.map((s) => s.id)).toEqual(['z']);
  });
});
