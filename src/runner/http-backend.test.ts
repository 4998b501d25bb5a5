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
import type { RunnerBackend } from './protocol.ts';

// The runner protocol end to end through the app (app.request stands in for the network).
const repo = tempGitRepo({ 'wercker.yml': 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        code: "true"\n' });
afterAll(() => repo.remove());

let dataDir: string;
let core: Core;
let user: User;
let backend: RunnerBackend;
beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'werker-runner-proto-'));
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

const readAll = async (s: ReadableStream<Uint8Array>) => {
  const chunks: Uint8Array[] = [];
  for await (const c of s as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  return Buffer.concat(chunks).toString();
};

describe('runner protocol over HTTP', () => {
  it('claims, heartbeats, reports events and the end, uploads output that a deploy then downloads', async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, user);
    await core.setVariable(shop.id, { name: 'PASS', value: 'sesame-open-123', protected: true }, user);
    await (backend as ReturnType<typeof httpBackend>).ping();
    expect(await backend.claim('r1')).toBeUndefined();
    const build = await core.triggerRun(shop.id, 'build', {}, user);
    const job = (await backend.claim('r1'))!;
    expect(job).toMatchObject({ runId: build.id, attempt: 1, pipeline: 'build', kind: 'build', commit: repo.head() });
    expect(job.variables).toEqual([{ name: 'PASS', value: 'sesame-open-123', protected: true }]);
    expect(await backend.heartbeat(job.runId, job.lease)).toEqual({ cancel: false });
    expect(await backend.appendEvents(job.runId, job.lease, [{ type: 'log', level: 'info', text: 'said sesame-open-123' }])).toBe(true);
    const tar = new Blob(['pretend this is a tar']).stream();
    expect(await backend.putOutput(job.runId, job.lease, tar)).toBe(true);
    expect(await backend.finish(job.runId, job.lease, { status: 'passed', durationMs: 5 })).toBe(true);
    expect(await backend.heartbeat(job.runId, job.lease)).toBeUndefined();
    expect(await backend.appendEvents(job.runId, job.lease, [{ type: 'log', level: 'info', text: 'too late' }])).toBe(false);
    const events = JSON.stringify(await core.listRunEvents(build.id));
    expect(events).toContain('said ***');
    expect(events).not.toContain('sesame');

    const deploy = await core.triggerRun(shop.id, 'deploy', {}, user);
    expect(deploy.sourceRunId).toBe(build.id);
    const djob = (await backend.claim('r1'))!;
    expect(djob).toMatchObject({ kind: 'deploy', sourceRunId: build.id });
    expect(await readAll((await backend.sourceOutput(djob.runId, djob.lease))!)).toBe('pretend this is a tar');
  });

  it('takes a revoked token (401 on heartbeat) as a lost run, so the runner stops it', async () => {
    const shop = await core.createApplication({ name: 'shop', repository: repo.dir }, user);
    await core.triggerRun(shop.id, 'build', {}, user);
    const job = (await backend.claim('r1'))!;
    expect(await backend.heartbeat(job.runId, job.lease)).toEqual({ cancel: false });
    const token = (await core.auth.listTokens(user)).find((t) => t.kind === 'runner')!;
    await core.auth.revokeToken(token.id, user);
    expect(await backend.heartbeat(job.runId, job.lease)).toBeUndefined();
  });
});
