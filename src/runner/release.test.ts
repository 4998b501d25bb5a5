import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempGitRepo } from '../../test/helpers/git-repo.ts';
import { openStore } from '../store/db.ts';
import { createApp } from '../server/app.ts';
import type { User } from '../server/context.ts';
import { createServerCore, type Core } from '../server/service.ts';
import { httpBackend } from './http-backend.ts';

// A runner that stops gives its runs back over the runner protocol (app.request, SQLite in memory).
const repo = tempGitRepo({ 'wercker.yml': 'box: busybox\nbuild:\n  steps:\n    - script:\n        code: "true"\n' });
afterAll(() => repo.remove());

let dataDir: string;
let core: Core;
let user: User;
let backend: ReturnType<typeof httpBackend>;
beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'werker-release-'));
  core = createServerCore(await openStore(':memory:'), { dataDir, leaseMs: 60_000, allowLocalRepos: [tmpdir()] });
  const app = createApp(core, { ui: false });
  user = await core.auth.createUser('ada', 'correct horse battery');
  const { token } = await core.auth.createToken('runner', 'r');
  backend = httpBackend('http://werker.test', token, ((input: string | URL, init?: RequestInit) => app.request(String(input), init)) as typeof fetch);
});
afterEach(async () => {
  await core.store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('release', () => {
  it('queues the run again with a line saying why, and the old claim can no longer report', async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, user);
    const run = await core.triggerRun(shop.id, 'build', {}, user);
    const job = (await backend.claim('r1'))!;
    expect(await backend.release(job.runId, job.lease, 'runner r1 stopped (SIGTERM/SIGINT)')).toBe(true);
    expect(await core.getRun(run.id)).toMatchObject({ status: 'queued', runner: null, attempt: 1 });
    expect((await core.listRunEvents(run.id)).at(-1)).toMatchObject({ type: 'log', level: 'warn', text: 'runner r1 stopped (SIGTERM/SIGINT) during attempt 1; the run is queued again for attempt 2' });
    expect(await backend.finish(job.runId, job.lease, { status: 'passed', durationMs: 1 })).toBe(false);
    expect(await backend.release(job.runId, job.lease, 'again')).toBe(false);
    expect((await backend.claim('r2'))!).toMatchObject({ runId: run.id, attempt: 2 });
  });

  it('ends a run whose cancel was asked for as cancelled', async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, user);
    const run = await core.triggerRun(shop.id, 'build', {}, user);
    const job = (await backend.claim('r1'))!;
    await core.cancelRun(run.id, user);
    expect(await backend.release(job.runId, job.lease, 'runner r1 stopped')).toBe(true);
    expect(await core.getRun(run.id)).toMatchObject({ status: 'cancelled' });
  });
});
