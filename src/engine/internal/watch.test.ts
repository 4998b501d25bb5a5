import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlannedStep, RunPlan } from '../../plan/types.ts';
import { FakeRuntime } from '../../../test/fakes/fake-runtime.ts';
import { createBus, type RunEvent } from '../events.ts';
import { ShellSession } from '../shell-session.ts';
import { StepOptions, type InternalContext } from './context.ts';
import { watch } from './watch.ts';

// The watch step against the fake runtime, whose box shell and execs are real local processes
// (dash here): the /proc walk, SIGINT and the restarts are the real thing, minus Docker.
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const project = mkdtempSync(path.join(tmpdir(), 'werker-watch-step-'));
  cleanups.push(() => rmSync(project, { recursive: true, force: true }));
  const runtime = new FakeRuntime({ images: ['box'], cwd: project });
  cleanups.push(() => runtime.dispose());
  const id = await runtime.createContainer({ name: 'box', image: 'box', labels: {}, openStdin: true });
  const attached = await runtime.attach(id);
  await runtime.startContainer(id);
  const session = new ShellSession(attached);
  cleanups.push(() => session.close());
  const events: RunEvent[] = [];
  const bus = createBus('run', [(e) => events.push(e)]);
  const controller = new AbortController();
  const plan = { projectDir: project, workingDir: path.join(project, 'wd'), options: { ignoreFile: '.werckerignore', directMount: true } } as unknown as RunPlan;
  const ctx: InternalContext = {
    plan, runtime, containerId: id, session, bus, network: 'n', labels: {}, signal: controller.signal,
    print: (text) => bus.emit({ type: 'step.output', step: 3, stream: 'stdout', text }),
  };
  const output = () => events.flatMap((e) => (e.type === 'step.output' ? [e.text] : []));
  const until = async (what: string, check: () => boolean) => {
    for (let i = 0; i < 150; i++) {
      if (check()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${what}: not within 3 s; output: ${output().join(' | ')}`);
  };
  return { project, session, ctx, controller, output, until };
}

const step = { index: 3, name: 'watch', properties: {} } as unknown as PlannedStep;
const count = (lines: string[], text: string) => lines.filter((l) => l === text).length;

describe('internal/watch', () => {
  it('restarts the code after a change, leaves the shell\'s older jobs alone, and passes on Ctrl-C', async () => {
    const { project, session, ctx, controller, output, until } = await setup();
    let background = '';
    await session.run(['sleep 30 & echo "$!"'], { onLine: (_s, l) => (background = l) });
    const result = watch.run(ctx, step, new StepOptions({ code: 'echo "run in $(pwd)"\ncd /\nsleep 30', reload: 'true' }, new Map()));
    await until('the first run', () => output().some((l) => l.startsWith('run in')));
    writeFileSync(path.join(project, 'page.js'), 'edited');
    await until('the restart', () => count(output(), `run in ${project}`) === 2);
    expect(output()).toContain('--> Reloading: page.js changed');
    controller.abort();
    expect(await result).toEqual({ status: 'passed', exitCode: 0, stopRun: true });
    // The job an earlier step started is still running; the shell still answers.
    expect(() => process.kill(Number(background), 0)).not.toThrow();
    expect(await session.run(['true'])).toEqual({ kind: 'exited', status: 0 });
    process.kill(Number(background));
  });

  it('reports code that exits by itself and waits for Ctrl-C; rejects a reload that is not a boolean', async () => {
    const { ctx, controller, output, until } = await setup();
    const bad = await watch.run(ctx, step, new StepOptions({ code: 'true', reload: 'yes please' }, new Map()));
    expect(bad).toMatchObject({ status: 'failed', message: 'reload must be true or false, not "yes please"' });
    const result = watch.run(ctx, step, new StepOptions({ code: 'echo done; exit 3' }, new Map()));
    await until('the exit', () => output().includes('code exited with status 3; Ctrl-C ends the watch'));
    controller.abort();
    expect(await result).toMatchObject({ status: 'passed', stopRun: true });
  });
});
