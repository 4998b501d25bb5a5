import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempGitRepo } from '../../test/helpers/git-repo.ts';
import { openStore } from '../store/db.ts';
import { createServerCore } from './service.ts';

const repo = tempGitRepo({ 'wercker.yml': 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        code: echo hi\n' }, 'werker-run-changes');
const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-run-changes-'));
afterAll(() => {
  repo.remove();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('run changes', () => {
  it('tells listeners each status a run goes through: queued, running, queued again, running, failed, then a retry and a cancel', async () => {
    const core = createServerCore(await openStore(':memory:'), { dataDir, leaseMs: 60_000, allowLocalRepos: [tmpdir()] });
    const seen: string[] = [];
    const stop = core.runChanges.on((run, previous) => {
      seen.push(`${run.id}:${previous ?? 'new'}>${run.status}`);
    });
    const user = await core.auth.createUser('ada', 'correct horse battery');
    const app = await core.createApplication({ name: 'shop', repository: repo.dir }, user);
    const run = await core.triggerRun(app.id, 'build', {}, user);
    const first = (await core.runners.claim('r1'))!;
    expect(await core.runners.release(run.id, first.lease, 'runner r1 stopped')).toBe(true);
    const second = (await core.runners.claim('r2'))!;
    expect(await core.runners.finish(run.id, second.lease, { status: 'failed', durationMs: 10 })).toBe(true);
    const retry = await core.retryRun(run.id, user);
    await core.cancelRun(retry.id, user);
    await core.runChanges.settled();
    expect(seen).toEqual([
      `${run.id}:new>queued`, `${run.id}:queued>running`, `${run.id}:running>queued`, `${run.id}:queued>running`, `${run.id}:running>failed`,
      `${retry.id}:new>queued`, `${retry.id}:queued>cancelled`,
    ]);
    stop();
    await core.store.close();
  });

  it('a failing listener is logged and does not stop the others or the run', async () => {
    const core = createServerCore(await openStore(':memory:'), { dataDir, leaseMs: 60_000, allowLocalRepos: [tmpdir()] });
    const seen: string[] = [];
    core.runChanges.on(() => {
      throw new Error('forge down');
    });
    core.runChanges.on((run) => {
      seen.push(run.status);
    });
    const user = await core.auth.createUser('ada', 'correct horse battery');
    const app = await core.createApplication({ name: 'shop', repository: repo.dir }, user);
    const run = await core.triggerRun(app.id, 'build', {}, user);
    await core.runChanges.settled();
    expect(run.status).toBe('queued');
    expect(seen).toEqual(['queued']);
    await core.store.close();
  });
});
