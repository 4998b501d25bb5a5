import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { runCli } from '../helpers/cli.ts';
import { requireDocker, runLeftovers } from '../helpers/docker.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

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
