import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempGitRepo } from '../../test/helpers/git-repo.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { openStore } from '../store/db.ts';
import type { User } from '../server/context.ts';
import { createServerCore, type Core } from '../server/service.ts';
import { startRunner, type RunningRunner } from './worker.ts';

// The runner loop against the real core (SQLite in memory), for what fails before any container.
const repo = tempGitRepo({ 'wercker.yml': 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        code: "true"\n' });
afterAll(() => repo.remove());

let dataDir: string;
let core: Core;
let user: User;
let runner: RunningRunner | undefined;
beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'werker-worker-'));
  core = createServerCore(await openStore(':memory:'), { dataDir, leaseMs: 60_000, allowLocalRepos: [tmpdir()] });
  user = await core.auth.createUser('ada', 'correct horse battery');
});
afterEach(async () => {
  await runner?.stop();
  await core.store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('runner loop', () => {
  it('fails a run, saying why, when its work dir cannot be made (instead of leaving it running until the lease ends)', async () => {
    const blocker = path.join(dataDir, 'a-file');
    writeFileSync(blocker, '');
    const workRoot = path.join(blocker, 'work');
    const app = await core.createApplication({ name: 'shop', repository: repo.dir }, user);
    const run = await core.triggerRun(app.id, 'build', {}, user);
    // No container is reached: the run fails before one would be created.
    runner = startRunner({ backend: core.runners, runtime: {} as ContainerRuntime, name: 'r1', workRoot, idlePollMs: 20, log: () => undefined });
    let status = run.status;
    for (let i = 0; i < 250 && status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      status = (await core.getRun(run.id))!.status;
    }
    const done = (await core.getRun(run.id))!;
    expect(done).toMatchObject({ status: 'failed', attempt: 1 });
    expect(done.message).toContain(`runner r1 could not prepare the run: ENOTDIR`);
    const finished = (await core.listRunEvents(run.id)).find((e) => e.type === 'run.finished');
    expect(finished).toMatchObject({ status: 'failed', error: { hint: expect.stringContaining(workRoot) } });
  });
});
