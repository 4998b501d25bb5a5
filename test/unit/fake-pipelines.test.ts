import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBus, type RunEvent } from '../../src/engine/events.ts';
import { runPipeline } from '../../src/engine/run.ts';
import type { RunResult } from '../../src/engine/run-types.ts';
import { assertRunnable, preparePlan, type PrepareOptions } from '../../src/plan/prepare.ts';
import { FakeRuntime } from '../fakes/fake-runtime.ts';
import { guestPathsUnder } from '../fakes/guest-paths.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// Whole pipelines at unit speed: a fixture's wercker.yml goes the one road (plan/prepare.ts) and
// through the engine, on the fake runtime, whose box shell is a /bin/sh on this machine working
// in a temp dir. What the real engine adds (isolation, images, networks) is the integration
// tests' part (test/integration/pipeline.test.ts runs the same fixtures on Docker).

const tempDir = tempDirs('werker-fake-run');
const fixtures = path.resolve(import.meta.dirname, '../fixtures/pipelines');
let runtime: FakeRuntime | undefined;
afterEach(() => runtime?.dispose());

/** As `werker build` asks by default (cli/pipeline-options.ts), with short timeouts. */
const OPTIONS: PrepareOptions = {
  artifacts: false, directMount: false, exposePorts: false, publish: [], pull: 'missing', noRemove: false, enableVolumes: false,
  imageMap: [], commandTimeoutMs: 30_000, noResponseTimeoutMs: 30_000,
};

async function runFixture(name: string, env: Record<string, string> = {}, Runtime: typeof FakeRuntime = FakeRuntime): Promise<{ result: RunResult; events: RunEvent[]; guestRoot: string }> {
  const guestRoot = tempDir();
  const { plan } = await preparePlan({
    project: { dir: path.join(fixtures, name) }, pipeline: 'build', kind: 'build', workingDir: tempDir(), options: OPTIONS,
    variables: { from: 'host', env, envFile: [] }, git: { branch: 'main', commit: 'c0ffee', tag: '' }, overrides: { runId: `fake-${name}` },
  });
  assertRunnable(plan);
  runtime = new Runtime({ hostRoot: guestRoot, cwd: guestRoot });
  const events: RunEvent[] = [];
  const result = await runPipeline(guestPathsUnder(plan, guestRoot), { runtime, bus: createBus(plan.runId, [(e) => events.push(e)]) });
  return { result, events, guestRoot };
}

/** `phase:name:status` of every finished step, in order. */
const finishedSteps = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'step.finished' ? [`${e.phase}:${e.name}:${e.status}`] : []));
const outputOf = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'step.output' ? [e.text] : []));

describe('whole pipelines on the fake runtime', () => {
  it('keeps exports and functions between steps; a failing step stops the pipeline; the after-steps run and see the result', async () => {
    const { result, events, guestRoot } = await runFixture('basics');
    expect(result).toMatchObject({ status: 'failed', exitCode: 1, failedStep: { name: 'fail', message: 'the shell ended with exit code 1' } });
    const started = events.find((e) => e.type === 'run.started');
    expect(started).toMatchObject({ pipeline: 'build', steps: ['wercker-init', 'export', 'check', 'fail', 'not reached'], afterSteps: ['wercker-init', 'after'] });
    expect(finishedSteps(events)).toEqual([
      'main:wercker-init:passed', 'main:export:passed', 'main:check:passed', 'main:fail:failed',
      'after:wercker-init:passed', 'after:after:passed',
    ]);
    const output = outputOf(events);
    expect(output).toContain('function works');
    expect(output).toContain(`FOO is bar in ${guestRoot}/pipeline/source`);
    expect(output).toContain('to stderr');
    expect(output).toContain('about to fail');
    expect(output).not.toContain('never printed');
    expect(output).not.toContain('NOT REACHED');
    // The after-steps run in the restarted box: exports are gone (docs/wercker-compat.md §4.8).
    expect(output).toContain('result=failed failed=fail foo=unset');
    // The engine's order: started, the setup passed, main steps, the main phase failed, after-steps, finished.
    const order = events.map((e) => e.type).filter((t) => t === 'run.started' || t === 'phase.finished' || t === 'run.finished');
    expect(order).toEqual(['run.started', 'phase.finished', 'phase.finished', 'phase.finished', 'run.finished']);
    expect(events.filter((e) => e.type === 'phase.finished').map((e) => `${e.phase}:${e.status}`)).toEqual(['setup:passed', 'main:failed', 'after:passed']);
    // wercker's `setup environment` step (docs/wercker-compat.md §4.1) ends before the first step starts.
    const setupEnd = events.findIndex((e) => e.type === 'phase.finished' && e.phase === 'setup');
    expect(setupEnd).toBeLessThan(events.findIndex((e) => e.type === 'step.started'));
    expect(events[setupEnd]).toMatchObject({ durationMs: expect.any(Number) });
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', status: 'failed' });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it('a setup that fails is wercker\'s failed `setup environment` step: no step runs, the run errors (§4.1)', async () => {
    class NoPulls extends FakeRuntime {
      override async pullImage(ref: string): Promise<void> {
        throw new Error(`pull access denied for ${ref}`);
      }
      override async imageExists(): Promise<boolean> {
        return false;
      }
    }
    const { result, events } = await runFixture('basics', {}, NoPulls);
    expect(result.status).toBe('errored');
    expect(events.some((e) => e.type === 'step.started')).toBe(false);
    const ends = events.filter((e) => e.type === 'phase.finished' || e.type === 'run.finished').map((e) => `${e.type}:${'phase' in e ? `${e.phase}:` : ''}${e.status}`);
    expect(ends).toEqual(['phase.finished:setup:failed', 'run.finished:errored']);
  });

  it('fails a step that ends the shell, with the hint', async () => {
    const { result, events } = await runFixture('exit-zero');
    expect(result.status).toBe('failed');
    const failed = events.find((e) => e.type === 'step.finished' && e.status === 'failed');
    expect(failed).toMatchObject({ name: 'leaves early', message: 'the shell ended with exit code 0', hint: expect.stringContaining('use `return`') });
    expect(outputOf(events)).toContain('before');
    expect(outputOf(events)).not.toContain('NOT REACHED');
  });

  it('passes a pipeline whose steps pass, with the project copied in and its output dir made', async () => {
    const { result, events, guestRoot } = await runFixture('build-deploy');
    expect(finishedSteps(events)).toEqual(['main:wercker-init:passed', 'main:build:passed']);
    expect(readFileSync(path.join(guestRoot, 'pipeline/output/app.txt'), 'utf8')).toBe('artifact of c0ffee\n');
    expect(readFileSync(path.join(guestRoot, 'pipeline/output/wercker.yml'), 'utf8')).toContain('ship to production');
    expect(result).toMatchObject({ status: 'passed', exitCode: 0 });
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', status: 'passed' });
  });

  it('masks hidden variables in the output', async () => {
    const { result, events } = await runFixture('secrets', { XXX_API_TOKEN: 'tok-1234567890-secret', X_VISIBLE: 'shown' });
    expect(result.status).toBe('passed');
    const text = outputOf(events).join('\n');
    expect(text).toContain('public: shown');
    expect(text).toContain('token: ***');
    expect(text).not.toContain('tok-1234567890-secret');
    expect(text).not.toContain('1234567890');
  });
});
