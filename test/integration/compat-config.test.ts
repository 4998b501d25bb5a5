import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeLeftovers } from '../../src/engine/cleanup.ts';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { runCli } from '../helpers/cli.ts';
import { requireDocker } from '../helpers/docker.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// wercker.yml files wercker accepted, and wercker's command lines, run on the real engine through
// the CLI as a user runs it (docs/wercker-compat.md §2, §4.7, §6, §8.2, §8.3).
const docker: DockerRuntime | undefined = await requireDocker();
const temp = tempDirs('werker-compat');
const BOX = 'box: werker-test/busybox';

/** A project dir holding this wercker.yml, and a working dir for its runs. */
function project(yml: string): { dir: string; wd: string; yml: string } {
  const dir = temp();
  writeFileSync(path.join(dir, 'wercker.yml'), yml);
  return { dir, wd: mkdtempSync(path.join(temp(), 'wd-')), yml: path.join(dir, 'wercker.yml') };
}

const build = (p: { dir: string; wd: string }, ...args: string[]) => runCli(['build', p.dir, '--working-dir', p.wd, ...args]);

describe.skipIf(!docker)('§2 what wercker accepted runs as it did, failing only when the pipeline that cannot run is run', () => {
  it('§2.3 an empty "steps:" plans and runs, doing nothing, and passes (with a warning)', async () => {
    const p = project(`${BOX}\nbuild:\n  steps:\n`);
    const plan = await runCli(['plan', p.dir, '--working-dir', p.wd]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const r = await build(p);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Step passed: wercker-init');
    expect(r.stdout).toMatch(/Pipeline finished/);
    expect(r.stderr).toContain(`${p.yml}:2:1 build: warning: pipeline build has no steps; it only starts its box, as in wercker`);
  });

  it('§2.3 "source-dir" inside a pipeline: kept as a werker extension (its steps start there), with a warning at the key that wercker dropped the pipeline', async () => {
    const p = project(`${BOX}\nbuild:\n  source-dir: app\n  steps:\n    - script: {code: pwd}\n`);
    mkdirSync(path.join(p.dir, 'app'));
    const warning = `${p.yml}:3:3 build.source-dir: warning: "source-dir" inside a pipeline is a werker extension`;
    const check = await runCli(['check-config', p.dir]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toContain(warning);
    expect(check.stderr).toContain('("No pipeline named build")');
    const r = await build(p);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('/pipeline/source/app\n');
    expect(r.stderr).toContain(warning);
  });

  it('§2.5 a step id with a space: the other pipelines run; its own fails when run, naming its position', async () => {
    const p = project(`${BOX}\nbuild:\n  steps:\n    - script: {code: echo build ran}\nsetup:\n  steps:\n    - script: {code: echo never}\n    - bundle install\n`);
    const check = await runCli(['check-config', p.dir]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toContain(`${p.yml}:8:7 setup.steps.1: warning: "bundle install" is not a step id (a step id has no spaces)`);
    const ok = await build(p);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('build ran');
    const plan = await runCli(['plan', p.dir, '--working-dir', p.wd, '--pipeline', 'setup']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('✗ The step "bundle install" was not found');
    const bad = await build(p, '--pipeline', 'setup');
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stderr).toContain(`${p.yml}:8:7 setup.steps: error: The step "bundle install" was not found`);
    expect(bad.stderr).toContain('write "- script: {code: bundle install}"');
    expect(bad.stdout).not.toContain('never');
  });

  it('§2.5 "steps:" written as a mapping: the other pipelines run; that pipeline fails when run, naming its position', async () => {
    const p = project(`${BOX}\nbuild:\n  steps:\n    - script: {code: echo build ran}\ndeploy:\n  steps:\n    uetchy/gh-pages:\n    token: x\n`);
    const ok = await build(p);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('build ran');
    const bad = await runCli(['deploy', p.dir, '--working-dir', p.wd]);
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stderr).toContain(`${p.yml}:7:5 deploy.steps: error: pipeline deploy cannot run: its "steps" is a mapping, not a list of steps`);
  });

  it('§2.4 a top-level box with "@" in a file whose pipelines bring their own box runs, with a warning', async () => {
    const p = project(`box: olger/box-yeoman@0.5.4\nbuild:\n  ${BOX}\n  steps:\n    - script: {code: echo own box}\nold:\n  steps: [npm-test]\n`);
    const ok = await build(p);
    // The "old" pipeline uses the classic box, so only running it fails.
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('own box');
    const bad = await build(p, '--pipeline', 'old');
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stderr).toContain(`${p.yml}:1:6 box: error: Invalid box name, '@' is not allowed in docker repositories (pipeline old uses "olger/box-yeoman@0.5.4")`);
  });

  it('§2.8 an invalid workflows: section blocks werker workflow, not werker build --pipeline P', async () => {
    const p = project(`${BOX}\nbuild:\n  steps:\n    - script: {code: echo build ran}\nworkflows:\n  - name: ci\n    pipelines:\n      - name: build\n      - name: test\n        requires: [nope]\n`);
    const ok = await build(p, '--pipeline', 'build');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('build ran');
    expect(ok.stderr).toContain(`${p.yml}:6:5 workflows.0: warning: invalid workflow ci: pipeline test is not defined`);
    const wf = await runCli(['workflow', 'ci', p.dir, '--working-dir', p.wd]);
    expect(wf.code, wf.stdout + wf.stderr).toBe(1);
    expect(wf.stderr).toContain(`${p.yml}:6:5 workflows.0: error: invalid workflow ci: pipeline test is not defined`);
    expect(wf.stdout).not.toContain('build ran');
  });

  it('§2.5 a step item with a repeated key keeps its first key as the step: a script step, named, its code lost as in wercker', async () => {
    const p = project(`${BOX}\nbuild:\n  steps:\n    - script:\n      name: greet\n      script:\n        code: echo lost\n`);
    const r = await build(p);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Step passed: greet');
    expect(r.stdout).not.toContain('lost');
    expect(r.stderr).toContain(`${p.yml}:6:7 build.steps.0.script: warning: duplicate key "script" (first at line 4)`);
  });
});

describe.skipIf(!docker)('§4.7 a bad wercker.yml ends build, dev, deploy and workflow with exit 1, as wercker did; check-config and plan with 2', () => {
  it.each(['build', 'dev', 'deploy'])('an empty wercker.yml: werker %s exits 1', async (command) => {
    const p = project('# nothing but a comment\n');
    const r = await runCli([command, p.dir, '--working-dir', p.wd]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('Your wercker.yml is empty.');
  });

  it('werker workflow on an empty wercker.yml exits 1; check-config and plan exit 2; a bad flag exits 2', async () => {
    const p = project('# nothing but a comment\n');
    expect((await runCli(['workflow', 'ci', p.dir, '--working-dir', p.wd])).code).toBe(1);
    expect((await runCli(['check-config', p.dir])).code).toBe(2);
    expect((await runCli(['plan', p.dir, '--working-dir', p.wd])).code).toBe(2);
    const flag = await runCli(['build', p.dir, '--working-dir', p.wd, '--artifacts=maybe']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('invalid boolean value "maybe" for --artifacts');
  });
});

describe.skipIf(!docker)('§8.3 Go-style boolean flags as wercker took them', () => {
  it('§6 --enable-dev-steps=false: internal/watch and internal/shell vanish, other dev steps are ignored, the rest runs', async () => {
    const p = project(`${BOX}\ndev:\n  steps:\n    - internal/watch:\n        code: echo watching; sleep 600\n    - internal/shell\n    - internal/nonesuch\n    - script: {name: after, code: echo the rest ran}\n`);
    const r = await runCli(['dev', p.dir, '--working-dir', p.wd, '--enable-dev-steps=false']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain('watching');
    expect(r.stdout).toContain('the rest ran');
    for (const [line, id] of [[4, 'internal/watch'], [6, 'internal/shell'], [7, 'internal/nonesuch']] as const) {
      expect(r.stderr).toContain(`${p.yml}:${line}:7 dev.steps: warning: Ignoring dev step: ${id}`);
    }
  });

  it('--enable-dev-steps=0 refuses a step package given by a file:// URL, with wercker\'s message', async () => {
    const p = project(`${BOX}\nbuild:\n  steps:\n    - hello "file:///nonexistent"\n`);
    const r = await build(p, '--enable-dev-steps=0');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`${p.yml}:4:7 build.steps: error: Dev mode is not enabled so refusing to copy local file urls: file:///nonexistent`);
  });

  it('--direct-mount=false copies the source for dev, --direct-mount=true mounts it for build', async () => {
    const p = project(`${BOX}\ndev:\n  steps:\n    - script: {code: touch from-dev}\nbuild:\n  steps:\n    - script: {code: touch from-build}\n`);
    const dev = await runCli(['dev', p.dir, '--working-dir', p.wd, '--direct-mount=false']);
    expect(dev.code, dev.stdout + dev.stderr).toBe(0);
    expect(existsSync(path.join(p.dir, 'from-dev'))).toBe(false);
    const b = await build(p, '--direct-mount=true');
    expect(b.code, b.stdout + b.stderr).toBe(0);
    expect(existsSync(path.join(p.dir, 'from-build'))).toBe(true);
  });

  it('--no-remove=true keeps the containers, --no-remove=false removes them; --artifacts=T keeps the output', async () => {
    const p = project(`${BOX}\nbuild:\n  steps:\n    - script: {code: echo made > $WERCKER_OUTPUT_DIR/made.txt}\n`);
    const [keep, remove] = [`compatkeep${randomBytes(4).toString('hex')}`, `compatdrop${randomBytes(4).toString('hex')}`];
    try {
      const kept = await build(p, '--no-remove=true', '--run-id', keep, '--artifacts=T');
      expect(kept.code, kept.stdout + kept.stderr).toBe(0);
      expect((await docker!.listLabelled('werker.run', keep)).containers.length).toBeGreaterThan(0);
      expect(existsSync(path.join(p.wd, 'builds', keep, 'output', 'made.txt'))).toBe(true);
      const removed = await build(p, '--no-remove=false', '--run-id', remove);
      expect(removed.code, removed.stdout + removed.stderr).toBe(0);
      expect((await docker!.listLabelled('werker.run', remove)).containers).toEqual([]);
    } finally {
      await removeLeftovers(docker!, { runId: keep });
      await removeLeftovers(docker!, { runId: remove });
    }
  });
});
