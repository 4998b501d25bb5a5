import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempGitRepo } from '../../test/helpers/git-repo.ts';
import { validateConfig } from '../config/validate.ts';
import { openStore } from '../store/db.ts';
import { createRun } from '../store/runs.ts';
import type { User } from './context.ts';
import { createApp } from './app.ts';
import { httpBackend } from '../runner/http-backend.ts';
import type { Job } from '../runner/protocol.ts';
import { createServerCore, type Core } from './service.ts';
import type { ServerConfigReader } from './werckeryml.ts';
import { workflowService } from './workflows.ts';

// The server's side of workflows (src/server/workflows.ts) through the core, over SQLite in memory
// and a real git repository: what is queued when, and what each claimed job says about its source.
const YML = `box: werker-test/busybox
build: {steps: [{script: {name: a, code: 'true'}}]}
check: {steps: [{script: {name: a, code: 'true'}}]}
merge: {steps: [{script: {name: a, code: 'true'}}]}
workflows:
  - name: fan
    pipelines:
      - name: build
      - name: left
        pipelineName: check
        requires: [build]
      - name: right
        pipelineName: check
        requires: [build]
      - name: both
        pipelineName: merge
        requires: [left, right]
        envFile: ci/both.env
`;
const repo = tempGitRepo({ 'wercker.yml': YML });
afterAll(() => repo.remove());

let dataDir: string;
let core: Core;
let user: User;
let appId: number;

beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'werker-wf-test-'));
  core = createServerCore(await openStore(':memory:'), { dataDir, leaseMs: 60_000, allowLocalRepos: [tmpdir()] });
  user = await core.auth.createUser('ada', 'correct horse battery');
  appId = (await core.createApplication({ name: 'shop', repository: repo.dir, defaultBranch: 'main', workflow: null }, user)).id;
});
afterEach(async () => {
  await core.store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Claims the next run and reports it passed with an output, as a runner would. */
const pass = async (job: Job) => {
  expect(await core.runners.putOutput(job.runId, job.lease, new Blob([new Uint8Array(1024)]).stream())).toBe(true);
  expect(await core.runners.finish(job.runId, job.lease, { status: 'passed', durationMs: 1 })).toBe(true);
};
const claim = async () => (await core.runners.claim('r'))!;

describe('server workflows (docs/wercker-compat.md §4.11)', () => {
  it('queues the root as a deploy on the checkout that stores its output', async () => {
    const run = await core.triggerRun(appId, 'workflow:fan', { branch: 'main' }, user);
    expect(run).toMatchObject({ pipeline: 'build', kind: 'deploy', workflow: 'fan', workflowRunId: run.id, sourceRunId: null });
    const job = await claim();
    expect(job).toMatchObject({ kind: 'deploy', artifacts: true, sourceRunId: null, workflow: { source: { layout: 'project' }, inputs: [] } });
  });

  it('gives one requirement its output, and several all of theirs, once they all passed', async () => {
    const root = await core.triggerRun(appId, 'workflow:fan', { branch: 'main' }, user);
    await pass(await claim());
    const left = await claim();
    const right = await claim();
    for (const job of [left, right]) {
      expect(job).toMatchObject({ pipeline: 'check', kind: 'deploy', artifacts: true, sourceRunId: root.id, workflow: { source: { layout: 'output', from: 'build' }, inputs: [{ name: 'build', runId: root.id }] } });
    }
    await pass(left);
    await pass(right);
    const both = await claim();
    expect(both).toMatchObject({
      pipeline: 'merge', kind: 'deploy', artifacts: true, sourceRunId: null,
      workflow: { source: { layout: 'merged', from: ['left', 'right'] }, inputs: [{ name: 'left', runId: left.runId }, { name: 'right', runId: right.runId }], envFile: 'ci/both.env' },
    });
    expect(await core.runners.claim('r')).toBeUndefined();
    const { runs } = await core.listRuns({ appId });
    expect(runs.filter((r) => r.workflowRunId === root.id)).toHaveLength(4);
  });

  it('lets a claim fetch the outputs of its own inputs only, over the runner protocol too', async () => {
    const app = createApp(core, { ui: false });
    const http = httpBackend('http://werker.test', (await core.auth.createToken('runner', 'r')).token, ((input: string | URL, init?: RequestInit) => app.request(String(input), init)) as typeof fetch);
    const root = await core.triggerRun(appId, 'workflow:fan', { branch: 'main' }, user);
    const first = (await http.claim('remote'))!;
    expect(await http.putOutput(first.runId, first.lease, new Blob(['the root output']).stream())).toBe(true);
    expect(await http.finish(first.runId, first.lease, { status: 'passed', durationMs: 1 })).toBe(true);
    const left = (await http.claim('remote'))!;
    const right = (await http.claim('remote'))!;
    expect(await new Response(await http.sourceOutput(left.runId, left.lease, root.id)).text()).toBe('the root output');
    expect(await new Response(await http.sourceOutput(left.runId, left.lease)).text()).toBe('the root output');
    // Not an input of left: another run of the workflow, or any other run.
    expect(await http.sourceOutput(left.runId, left.lease, right.runId)).toBeUndefined();
    expect(await core.runners.sourceOutput(left.runId, left.lease, 999)).toBeUndefined();
    expect(await core.runners.sourceOutput(left.runId, 'not-the-lease', root.id)).toBeUndefined();
  });

  it('a retried workflow pipeline keeps its inputs', async () => {
    const root = await core.triggerRun(appId, 'workflow:fan', { branch: 'main' }, user);
    await pass(await claim());
    const left = await claim();
    await core.runners.finish(left.runId, left.lease, { status: 'failed', durationMs: 1 });
    const retry = await core.retryRun(left.runId, user);
    const right = await claim();
    const retried = await claim();
    expect([right.pipeline, retried.runId]).toEqual(['check', retry.id]);
    expect(retried.workflow).toEqual({ source: { layout: 'output', from: 'build' }, inputs: [{ name: 'build', runId: root.id }] });
  });

  it('two requirements passing at the same moment queue the step that needs them both once', async () => {
    const store = core.store;
    const read = validateConfig('wercker.yml', YML);
    // The first reading waits (up to 200 ms) for a second one, so two advances that overlap read together.
    let release: (() => void) | undefined;
    const together = async () => {
      if (release) return release();
      await new Promise<void>((r) => { release = r; setTimeout(r, 200); });
    };
    const configs = { read: async () => { await together(); return read; } } as unknown as ServerConfigReader;
    const workflows = workflowService(store, configs, (run) => createRun(store, run));
    const base = { application_id: appId, branch: 'main', commit_sha: repo.head(), trigger: 'api', triggered_by: 'ada' };
    const root = await workflows.start(base, 'fan');
    const done = async (step: string, source: number | null) => {
      const row = await createRun(store, { ...base, pipeline: 'check', kind: 'deploy', workflow: 'fan', workflow_step: step, workflow_run_id: root.id, source_run_id: source });
      return (await store.db.updateTable('runs').set({ status: 'passed' }).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow());
    };
    await store.db.updateTable('runs').set({ status: 'passed' }).where('id', '=', root.id).execute();
    const [left, right] = [await done('left', root.id), await done('right', root.id)];
    await Promise.all([workflows.advance(left), workflows.advance(right)]);
    const group = await store.db.selectFrom('runs').select(['workflow_step']).where('workflow_run_id', '=', root.id).execute();
    expect(group.map((r) => r.workflow_step)).toEqual(['build', 'left', 'right', 'both']);
  });
});
