import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { requireDocker, runLeftovers } from '../helpers/docker.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';
import { fetchIfUp, waitFor } from '../helpers/wait-for.ts';

// Rows of docs/wercker-compat.md (§1, §2.1–§2.4, §2.7, §3.1–§3.3) shown on the real engine through
// the CLI, as a user runs werker. Several behaviours share one run, as runs are slow.
const docker: DockerRuntime | undefined = await requireDocker();
const temp = tempDirs('werker-untested-a');
const BOX = 'box: werker-test/busybox';

/** A dir holding these files (relative path → content). */
function dirWith(files: Record<string, string>): string {
  const dir = temp();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const workingDir = (): string => mkdtempSync(path.join(temp(), 'wd-'));

/** A `file://` step package whose step.yml declares properties with and without defaults (§3.3). */
function stepPackage(): string {
  return dirWith({
    'step.yml': [
      'name: mystep', 'version: 0.1.0', 'properties:',
      '  - name: level', '    type: string', '    default: "3"',
      '  - name: color', '    type: string',
      '  - name: greeting', '    type: string', '    default: hello', '',
    ].join('\n'),
    'run.sh': [
      'echo "mystep level=[$WERCKER_MYSTEP_LEVEL] color=[${WERCKER_MYSTEP_COLOR-unset}] greeting=[$WERCKER_MYSTEP_GREETING]"',
      'echo "mystep step name=[$WERCKER_STEP_NAME] id=[$WERCKER_STEP_ID] root=[$WERCKER_STEP_ROOT]"',
      'test -f "$WERCKER_STEP_ROOT/run.sh" && echo "mystep root holds run.sh"', '',
    ].join('\n'),
  });
}

/** The project of the main run: ewok.yml beside wercker.yml and .wercker.yml, an ENVIRONMENT file, ignore files. */
function envProject(): string {
  const env = [
    'echo "read ewok.yml"',
    'echo "term=[$TERM] report_dir=[$WERCKER_REPORT_DIR]"',
    'echo "git domain=[$WERCKER_GIT_DOMAIN] repository=[$WERCKER_GIT_REPOSITORY] owner=[$WERCKER_GIT_OWNER]"',
    'echo "started_by=[$WERCKER_STARTED_BY] main_started=[$WERCKER_MAIN_PIPELINE_STARTED]"',
    'echo "hostwins=[$HOSTWINS] fileonly=[$FILEONLY] emptyhost=[$EMPTYHOST]"',
    'echo "proxy https=[$https_proxy] no=[$NO_PROXY]"',
    'echo "entry=[$(cat /tmp/entry)]"',
    'echo "step id=[$WERCKER_STEP_ID] root=[$WERCKER_STEP_ROOT] owner=[$WERCKER_STEP_OWNER] name=[$WERCKER_STEP_NAME]"',
    'echo "report message=[$WERCKER_REPORT_MESSAGE_FILE] numbers=[$WERCKER_REPORT_NUMBERS_FILE] artifacts=[$WERCKER_REPORT_ARTIFACTS_DIR]"',
    'test -d "$WERCKER_REPORT_ARTIFACTS_DIR" && echo "the artifacts dir exists"',
    'echo "files=[$(ls -A | tr "\\n" " ")]"',
  ];
  const ewok = [
    '# docs/wercker-compat.md §1: ewok.yml is read before wercker.yml and .wercker.yml',
    'box:',
    '  id: werker-test/busybox:no-such-tag',
    '  tag: latest',
    '  entrypoint: /bin/sh -c \'echo entrypoint-ran > /tmp/entry; exec "$0" "$@"\'',
    'command-timeout: 1',
    'no-response-timeout: 1',
    'ignore-file: .ymlignore',
    'build:',
    '  steps:',
    '    - script:',
    '        name: env',
    '        code: |',
    ...env.map((l) => `          ${l}`),
    '    - script:',
    '        name: quiet for 3 s',
    '        code: sleep 3; echo "slept past the flags\' timeouts"',
    '    - mystep "file://STEP_DIR":',
    '        greeting: hi',
    '    - script:',
    '        name: fails with a message',
    '        code: |',
    '          echo "the custom failure text" > "$WERCKER_REPORT_MESSAGE_FILE"',
    '          exit 1',
    '  after-steps:',
    '    - script:',
    '        name: after',
    '        code: echo "failed step message=[$WERCKER_FAILED_STEP_MESSAGE]"',
    'files:',
    '  steps:',
    '    - script:',
    '        name: files',
    '        code: |',
    '          echo "files=[$(ls -A | tr "\\n" " ")]"',
    '          echo "git domain=[$WERCKER_GIT_DOMAIN] repository=[$WERCKER_GIT_REPOSITORY] owner=[$WERCKER_GIT_OWNER]"',
    '',
  ].join('\n');
  return dirWith({
    'ewok.yml': ewok.replace('STEP_DIR', stepPackage()),
    'wercker.yml': `box: werker-test/busybox:from-wercker-yml\nbuild:\n  steps:\n    - script: {code: echo read wercker.yml}\n`,
    '.wercker.yml': `box: werker-test/busybox:from-dot-wercker-yml\nbuild:\n  steps:\n    - script: {code: echo read .wercker.yml}\n`,
    ENVIRONMENT: 'X_HOSTWINS=file\nX_FILEONLY=from-file\nX_EMPTYHOST=file-fills-an-empty-host-value\n',
    '.ymlignore': 'ignored-by-yml\n',
    '.werckerignore': 'not-ignored-by-default\n',
    '.flagignore': 'kept.txt\n',
    'ignored-by-yml/a.txt': 'a\n',
    'not-ignored-by-default/b.txt': 'b\n',
    'kept.txt': 'kept\n',
  });
}

/** The source dir's entries a step listed as `files=[…]`. */
const filesIn = (out: string): string[] => (/files=\[([^\]]*)\]/.exec(out)?.[1] ?? '').split(' ').filter(Boolean);

const hostEnv = {
  X_HOSTWINS: 'host', X_EMPTYHOST: '',
  https_proxy: 'http://proxy.invalid:3128', NO_PROXY: 'localhost', X_NO_PROXY: 'the-X-value-wins',
  WERCKER_STARTED_BY: 'alice', WERCKER_MAIN_PIPELINE_STARTED: '1700000000',
};

describe.skipIf(!docker)('one build of a project with ewok.yml, wercker.yml and .wercker.yml', () => {
  const project = envProject();

  it('§1, §2.2, §2.4, §3.1–§3.3: runs ewok.yml with its box tag and entrypoint, its timeouts and ignore file, and the variables wercker set', async () => {
    const r = await runCli([
      'build', project, '--working-dir', workingDir(), '--environment', path.join(project, 'ENVIRONMENT'),
      '--command-timeout', '0.02', '--no-response-timeout', '0.02', '--run-id', 'itunta01',
    ], { env: hostEnv });
    const out = r.stdout;
    // The last step fails on purpose (its message reaches the after-steps); everything before passed.
    expect(r.code, out + r.stderr).toBe(1);
    // §1: ewok.yml first.
    expect(out).toContain('read ewok.yml');
    expect(out).not.toContain('read wercker.yml');
    expect(out).not.toContain('read .wercker.yml');
    // §2.4: `tag` replaces the tag in `id` (no-such-tag would not pull); `entrypoint` replaces the image's.
    expect(out).toContain('entry=[entrypoint-ran]');
    // §2.2: the yml's timeouts (1 min) beat the flags' (1.2 s); its ignore file replaces .werckerignore.
    expect(out).toContain('slept past the flags\' timeouts');
    const files = filesIn(out);
    expect(files).toEqual(expect.arrayContaining(['kept.txt', 'not-ignored-by-default']));
    expect(files).not.toContain('ignored-by-yml');
    // §3.2
    expect(out).toContain('term=[xterm-256color] report_dir=[/pipeline/report]');
    expect(out).toContain(`git domain=[] repository=[] owner=[${userInfo().username}]`);
    expect(out).toContain('started_by=[alice] main_started=[1700000000]');
    // §3.1: a non-empty host value beats the file; an empty one does not; proxies arrive as X_, an X_ already set wins.
    expect(out).toContain('hostwins=[host] fileonly=[from-file] emptyhost=[file-fills-an-empty-host-value]');
    expect(out).toContain('proxy https=[http://proxy.invalid:3128] no=[the-X-value-wins]');
    // §3.3: the per-step variables of a script step, and of a registry (file://) step.
    const id = /step id=\[([^\]]+)\]/.exec(out)?.[1] ?? '';
    expect(id).toMatch(/^script-/);
    expect(out).toContain(`step id=[${id}] root=[/pipeline/${id}] owner=[wercker] name=[script]`);
    expect(out).toContain(`report message=[/report/${id}/message.txt] numbers=[/report/${id}/numbers.ini] artifacts=[/report/${id}/artifacts]`);
    expect(out).toContain('the artifacts dir exists');
    // §3.3: every step.yml property: the yml value, else its default, else "".
    expect(out).toContain('mystep level=[3] color=[] greeting=[hi]');
    expect(out).toMatch(/mystep step name=\[mystep\] id=\[(mystep-[^\]]+)\] root=\[\/pipeline\/\1\]/);
    expect(out).toContain('mystep root holds run.sh');
    // §3.3: the message file becomes WERCKER_FAILED_STEP_MESSAGE.
    expect(out).toContain('failed step message=[the custom failure text]');
    expect(await runLeftovers(docker!, 'itunta01')).toEqual([]);
  });

  it('§2.2: --ignore-file beats the yml\'s ignore-file; §3.2: the --git-* flags set WERCKER_GIT_DOMAIN/_REPOSITORY/_OWNER', async () => {
    const r = await runCli([
      'build', project, '--pipeline', 'files', '--working-dir', workingDir(), '--ignore-file', '.flagignore',
      '--git-domain', 'git.example.org', '--git-repository', 'app', '--git-owner', 'team',
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(filesIn(r.stdout)).toContain('ignored-by-yml');
    expect(filesIn(r.stdout)).not.toContain('kept.txt');
    expect(r.stdout).toContain('git domain=[git.example.org] repository=[app] owner=[team]');
  });
});

describe('§1, §2.1: which file, which dir (no run needed)', () => {
  it('§1 check-config in the current dir reads ewok.yml, else wercker.yml, else .wercker.yml', async () => {
    const dir = dirWith({
      'ewok.yml': 'box: werker-test/busybox:from-ewok\nbuild:\n  steps:\n    - script: {code: "true"}\n',
      'wercker.yml': 'box: werker-test/busybox:from-wercker\nbuild:\n  steps:\n    - script: {code: "true"}\n',
      '.wercker.yml': 'box: werker-test/busybox:from-dot\nbuild:\n  steps:\n    - script: {code: "true"}\n',
    });
    const boxOf = async (): Promise<string> => {
      const r = await runCli(['check-config'], { cwd: dir });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('Found pipeline section: build');
      return /with box: (\S+)/.exec(r.stdout)?.[1] ?? '';
    };
    expect(await boxOf()).toBe('werker-test/busybox:from-ewok');
    rmSync(path.join(dir, 'ewok.yml'));
    expect(await boxOf()).toBe('werker-test/busybox:from-wercker');
    rmSync(path.join(dir, 'wercker.yml'));
    expect(await boxOf()).toBe('werker-test/busybox:from-dot');
  });

  it('§2.1 ignore-file is an option, not a pipeline', async () => {
    const dir = dirWith({ 'wercker.yml': `${BOX}\nignore-file: .myignore\nbuild:\n  steps:\n    - script: {code: "true"}\n` });
    const check = await runCli(['check-config', dir]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('Found pipeline section: build');
    expect(check.stdout).not.toContain('Found pipeline section: ignore-file');
    // Read as a pipeline, the string would be dropped with a warning naming the key.
    expect(check.stderr).not.toContain('ignore-file');
    const plan = await runCli(['plan', dir, '--working-dir', workingDir(), '--pipeline', 'ignore-file']);
    expect(plan.code).not.toBe(0);
    expect(plan.stderr).toContain('No pipeline named ignore-file');
  });

  it('§1 the working dir may not be the project path', async () => {
    const dir = dirWith({ 'wercker.yml': `${BOX}\nbuild:\n  steps:\n    - script: {code: "true"}\n` });
    const r = await runCli(['build', dir, '--working-dir', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Project path can't be the same as the working dir");
  });
});

describe.skipIf(!docker)('§1 the current dir\'s wercker.yml for workflow and deploy', () => {
  it('werker workflow without a path runs the workflow of the current dir\'s wercker.yml', async () => {
    const dir = dirWith({ 'wercker.yml': `${BOX}\nbuild:\n  steps:\n    - script: {code: echo "workflow ran from the current dir"}\nworkflows:\n  - name: ci\n    pipelines:\n      - name: build\n` });
    const r = await runCli(['workflow', 'ci', '--working-dir', workingDir()], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('workflow ran from the current dir');
  });

  it('werker deploy of a source without wercker.yml takes ./wercker.yml', async () => {
    const cwd = dirWith({ 'wercker.yml': `${BOX}\ndeploy:\n  steps:\n    - script:\n        code: echo "deployed ($(cat artifact.txt)) with the current dir's wercker.yml"\n` });
    const source = dirWith({ 'artifact.txt': 'built-thing' });
    const r = await runCli(['deploy', source, '--working-dir', workingDir()], { cwd });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("deployed (built-thing) with the current dir's wercker.yml");
  });
});

describe.skipIf(!docker)('§2.7 internal steps without their required option fail with wercker\'s message', () => {
  it.each([
    ['internal/docker-run', 'image: werker-test/busybox', '"name" is a required field'],
    ['internal/docker-run', 'name: side', '"image" is a required field'],
    ['internal/docker-kill', 'container-name: side', '"name" is a required field'],
    ['internal/docker-build', 'dockerfile: Dockerfile', 'image-name not set'],
    ['internal/docker-push', 'tag: latest', 'Repository not specified'],
  ])('%s with only %s: %s', async (step, option, message) => {
    const dir = dirWith({ 'wercker.yml': `${BOX}\nbuild:\n  steps:\n    - ${step}:\n        ${option}\n` });
    const r = await runCli(['build', dir, '--working-dir', workingDir()]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain(message);
  });
});

/** A TCP port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(!docker)('§2.4 box and service ports', () => {
  /** A project whose box serves on 8080 and 8081 for a while, beside a service with a port of its own. */
  const portsProject = (hostA: number, hostB: number): string => dirWith({
    'www/index.html': 'hello from the box\n',
    'wercker.yml': [
      BOX,
      'services:', '  - id: werker-test/busybox', '    name: side', '    cmd: httpd -f -p 8090', '    ports: ["8090"]',
      'build:', '  box:', '    id: werker-test/busybox', `    ports: ["127.0.0.1:${hostA}:8080", "${hostB}:8081"]`,
      '  steps:', '    - script:', '        code: |',
      '          httpd -p 8080 -h "$WERCKER_SOURCE_DIR/www"; httpd -p 8081 -h "$WERCKER_SOURCE_DIR/www"',
      '          echo "the box serves"; sleep 6', '',
    ].join('\n'),
  });

  /** Runs the project, and while the box serves, fetches both ports from the host and inspects the service. */
  async function runServing(runId: string, flags: string[]): Promise<{ a?: string; b?: string; serviceExposed: string[]; servicePublished: string[]; code: number | null }> {
    const hostA = await freePort();
    const hostB = await freePort();
    const { child, done } = spawnCli(['build', portsProject(hostA, hostB), '--working-dir', workingDir(), '--run-id', runId, ...flags]);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor('the box to serve', async () => (out.includes('the box serves') ? true : undefined), 60_000);
    const get = async (port: number): Promise<string | undefined> => (await fetchIfUp(`http://127.0.0.1:${port}/`))?.text();
    const a = await get(hostA);
    const b = await get(hostB);
    const { containers } = await docker!.listLabelled('werker.run', runId);
    const side = containers.find((c) => c.name.startsWith('wercker-service-side-'));
    const raw = side ? await docker!.docker.getContainer(side.id).inspect() : undefined;
    const r = await done;
    return {
      ...(a === undefined ? {} : { a }), ...(b === undefined ? {} : { b }), code: r.code,
      serviceExposed: Object.keys(raw?.Config.ExposedPorts ?? {}),
      servicePublished: Object.keys(raw?.HostConfig.PortBindings ?? {}),
    };
  }

  it('with --expose-ports: the box\'s ip:host:ctr and host:ctr are published, a service\'s port exposed and published', async () => {
    const r = await runServing('itunta02', ['--expose-ports']);
    expect(r.code).toBe(0);
    expect(r.a).toBe('hello from the box\n');
    expect(r.b).toBe('hello from the box\n');
    expect(r.serviceExposed).toEqual(['8090/tcp']);
    expect(r.servicePublished).toEqual(['8090/tcp']);
    expect(await runLeftovers(docker!, 'itunta02')).toEqual([]);
  });

  it('without it: the box publishes nothing; the service\'s port is still exposed', async () => {
    const r = await runServing('itunta03', []);
    expect(r.code).toBe(0);
    expect(r.a).toBeUndefined();
    expect(r.b).toBeUndefined();
    expect(r.serviceExposed).toEqual(['8090/tcp']);
    expect(r.servicePublished).toEqual([]);
  });
});
