import { LEASE_HEADER } from '../runner/protocol.ts';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempGitRepo } from '../../test/helpers/git-repo.ts';
import { openStore } from '../store/db.ts';
import { createApp } from './app.ts';
import type { PipelineList, ServerEnv } from './context.ts';
import type { ServerLimits } from './limits.ts';
import { createServerCore, type Core } from './service.ts';

// What a hostile wercker.yml or a chatty run may cost the server: app.request over SQLite in memory and real git repos.
const GOOD = 'box: busybox\nbuild:\n  steps:\n    - script:\n        code: echo hi\n';
/** 407 bytes that expand to 9^6 (531,441) values. */
const ALIAS_BOMB = `${GOOD}a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n`;

let dataDir: string;
let core: Core;
let app: Hono<ServerEnv>;
let token: string;
const repos: { remove(): void }[] = [];

async function setUp(limits: Partial<ServerLimits> = {}) {
  core = createServerCore(await openStore(':memory:'), { dataDir, leaseMs: 60_000, limits, allowLocalRepos: [tmpdir()] });
  app = createApp(core, { ui: false });
  const user = await core.auth.createUser('ada', 'correct horse battery');
  token = (await core.auth.createToken('user', 'tests', user)).token;
}
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'werker-limits-test-'));
});
afterEach(async () => {
  await core.store.close();
  rmSync(dataDir, { recursive: true, force: true });
  for (const r of repos.splice(0)) r.remove();
});

const post = (url: string, body: unknown) => app.request(url, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
async function appWith(yml: string): Promise<string> {
  const repo = tempGitRepo({ 'wercker.yml': yml });
  repos.push(repo);
  const name = `app${repos.length}`;
  expect((await post('/api/applications', { name, repository: repo.dir })).status).toBe(201);
  return name;
}
const pipelines = async (name: string) => (await (await app.request(`/api/applications/${name}/pipelines`, { headers: { authorization: `Bearer ${token}` } })).json()) as PipelineList;

describe('a hostile wercker.yml on the server', () => {
  it('stops expanding a 407-byte alias bomb at 20,000 values, and says so', async () => {
    await setUp();
    const name = await appWith(ALIAS_BOMB);
    const list = await pipelines(name);
    expect(list.pipelines).toEqual([]);
    expect(list.problem).toMatch(/expands to more than 20000 values/);
  });

  it('refuses 20,000 junk keys by their size, and past the size limit by their number; a build of them is refused before it is queued', async () => {
    await setUp();
    const junk = (n: number) => GOOD + Array.from({ length: n }, (_, i) => `k${i}: 1`).join('\n') + '\nworkflows:\n  - name: w\n    pipelines:\n      - name: build\n';
    const bySize = await appWith(junk(20_000));
    expect((await pipelines(bySize)).problem).toMatch(/the file is \d+ bytes; werker reads at most 131072 here/);
    await core.store.close();
    await setUp({ configBytes: 10_000_000, configMs: 60_000 });
    const byCount = await appWith(junk(20_000));
    expect((await pipelines(byCount)).problem).toMatch(/expands to more than 20000 values/);
    const res = await post(`/api/applications/${byCount}/runs`, { pipeline: 'workflow:w' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/expands to more than 20000 values/);
  });

  it('does not read a wercker.yml larger than the size limit', async () => {
    await setUp({ configBytes: 1000 });
    const name = await appWith(GOOD + `# ${'x'.repeat(2000)}\n`);
    expect((await pipelines(name)).problem).toMatch(/the file is 20\d\d bytes; werker reads at most 1000 here/);
  });

  it('gives up on a file that takes longer than the time budget', async () => {
    await setUp({ configMs: 0, configNodes: 10_000_000 });
    const name = await appWith(ALIAS_BOMB);
    expect((await pipelines(name)).problem).toMatch(/took longer than its time budget/);
  });

  it('still reads an ordinary file', async () => {
    await setUp();
    const name = await appWith(GOOD);
    expect(await pipelines(name)).toMatchObject({ pipelines: ['build'] });
  });
});

describe('the cap on stored events per run', () => {
  it('keeps the first events, stores one "output truncated" marker, drops the rest of the output and still finishes the run honestly', async () => {
    await setUp({ runEvents: 10 });
    const name = await appWith(GOOD);
    expect((await post(`/api/applications/${name}/runs`, { pipeline: 'build' })).status).toBe(201);
    const job = (await core.runners.claim('r1'))!;
    const output = (i: number) => ({ type: 'step.output' as const, step: 1, stream: 'stdout' as const, text: `line ${i}` });
    const step = (type: 'step.started' | 'step.finished') => ({ type, phase: 'main', step: 2, name: 'later', ...(type === 'step.finished' ? { status: 'passed', durationMs: 1, exitCode: 0 } : {}) });
    expect(await core.runners.appendEvents(job.runId, job.lease, Array.from({ length: 30 }, (_, i) => output(i)) as never)).toBe(true);
    expect(await core.runners.appendEvents(job.runId, job.lease, [output(31), step('step.started'), output(32), step('step.finished')] as never)).toBe(true);
    expect(await core.runners.finish(job.runId, job.lease, { status: 'passed', durationMs: 5 })).toBe(true);

    const events = await core.listRunEvents(job.runId, 0, 1000);
    const texts = events.map((e) => (e.type === 'step.output' ? e.text : e.type === 'log' ? e.text : e.type));
    const markers = texts.filter((t) => t.startsWith('output truncated'));
    expect(markers).toHaveLength(1);
    expect(markers[0]).toContain('reached 10 stored events');
    // 10 kept (the claim's log line and 9 lines), the marker, then only the step and the end.
    expect(texts.slice(0, 10)).toEqual(['runner r1 took the run (attempt 1)', ...Array.from({ length: 9 }, (_, i) => `line ${i}`)]);
    expect(texts.slice(10)).toEqual([markers[0], 'step.started', 'step.finished', 'run.finished']);
    const run = await core.getRun(job.runId);
    expect(run).toMatchObject({ status: 'passed' });
    expect(run!.steps.map((s) => [s.name, s.status])).toEqual([['later', 'passed']]);
  });
});

describe('the build output upload limit', () => {
  it('refuses an upload that streams past --max-output-mb with 413, keeping no part of it', async () => {
    await setUp({ outputBytes: 64 * 1024 });
    const name = await appWith(GOOD);
    expect((await post(`/api/applications/${name}/runs`, { pipeline: 'build' })).status).toBe(201);
    const { token: runnerToken, info } = await core.auth.createToken('runner', 'r1');
    // The upload must come from the token holding the claim (and its lease), or it is refused unread.
    const job = (await core.runnersFor(info.id).claim('r1'))!;
    const upload = (bytes: number) => {
      let sent = 0;
      // No Content-Length: the limit must hold while the stream is read.
      const body = new ReadableStream<Uint8Array>({ pull(c) {
        if (sent >= bytes) return c.close();
        sent += 16 * 1024;
        c.enqueue(new Uint8Array(16 * 1024));
      } });
      return app.request(`/api/runner/runs/${job.runId}/output`, { method: 'PUT', body, duplex: 'half', headers: { authorization: `Bearer ${runnerToken}`, [LEASE_HEADER]: job.lease, 'content-type': 'application/x-tar' } } as RequestInit);
    };
    const tooBig = await upload(1024 * 1024);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toEqual({ error: 'the body is larger than the 64 KB a build output (--max-output-mb) may send; nothing was done' });
    const outputs = path.join(dataDir, 'outputs');
    expect(existsSync(outputs) ? readdirSync(outputs) : []).toEqual([]);
    expect((await upload(32 * 1024)).status).toBe(204);
    expect(readdirSync(outputs)).toEqual([`${job.runId}.tar`]);
  });
});
