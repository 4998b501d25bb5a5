import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeBackends } from '../../test/helpers/server.ts';
import { cacheEntriesByAge, putCacheEntry } from '../store/cache.ts';
import type { Store } from '../store/db.ts';
import { createRun, getRunRow, type RunRow } from '../store/runs.ts';
import { SharedCache } from './cache.ts';

// The shared cache's rules on the real store (SQLite always; PostgreSQL when the test one is
// there, and with WERKER_REQUIRE_DOCKER=1 it must be), with real files in a temp data dir.
const stores = storeBackends();

const MB = 1024 * 1024;
const blobOf = (text: string) => {
  const bytes = Buffer.from(text);
  return { bytes, digest: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
};
const streamOf = (bytes: Buffer, cutAfter?: number): ReadableStream<Uint8Array> => new ReadableStream({
  start(c) {
    if (cutAfter === undefined) {
      c.enqueue(new Uint8Array(bytes));
      c.close();
    } else {
      c.enqueue(new Uint8Array(bytes.subarray(0, cutAfter)));
      c.error(new Error('connection reset by peer'));
    }
  },
});

describe.each(stores)('shared cache on %s', (_name, open) => {
  let dir: string;
  let store: Store;
  let drop: () => Promise<void>;
  let cache: SharedCache;
  const run = async (o: Partial<Pick<RunRow, 'branch' | 'pipeline' | 'trigger' | 'application_id'>> = {}): Promise<RunRow> => {
    const row = await createRun(store, { application_id: 1, pipeline: 'build', kind: 'build', branch: 'main', commit_sha: 'a'.repeat(40), trigger: 'api', triggered_by: 'ada', ...o });
    return (await getRunRow(store, row.id))!;
  };
  const upload = async (row: RunRow, text: string) => cache.receive(row, blobOf(text), streamOf(blobOf(text).bytes), async () => true);

  beforeEach(async () => {
    if (!open) return;
    dir = mkdtempSync(path.join(tmpdir(), 'werker-cache-'));
    const opened = await open();
    store = opened.store;
    drop = opened.drop;
    cache = new SharedCache(store, dir, { perApplicationBytes: 10 * MB, totalBytes: 100 * MB });
  });
  afterEach(async () => {
    if (!open) return;
    await store.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!open)('a branch without a cache reads the default branch\'s; its own cache wins once it has one', async () => {
    expect(await upload(await run({ branch: 'main' }), 'main cache')).toEqual({ stored: true });
    const feature = { applicationId: 1, pipeline: 'build', branch: 'feature/x' };
    expect(await cache.find(feature, 'main')).toMatchObject({ branch: 'main', digest: blobOf('main cache').digest });
    expect(await upload(await run({ branch: 'feature/x' }), 'feature cache')).toEqual({ stored: true });
    expect(await cache.find(feature, 'main')).toMatchObject({ branch: 'feature/x', digest: blobOf('feature cache').digest });
    // Another pipeline or application shares nothing.
    expect(await cache.find({ ...feature, pipeline: 'deploy' }, 'main')).toBeUndefined();
    expect(await cache.find({ ...feature, applicationId: 2 }, 'main')).toBeUndefined();
  });

  it.skipIf(!open)('a deleted application\'s caches go, with the tars no other application has', async () => {
    await upload(await run({ application_id: 1 }), 'shared tar');
    await upload(await run({ application_id: 1, branch: 'only-1' }), 'only in app 1');
    await upload(await run({ application_id: 2 }), 'shared tar');
    await cache.forgetApplication(1);
    expect((await cacheEntriesByAge(store)).map((e) => e.applicationId)).toEqual([2]);
    expect(readdirSync(path.join(dir, 'blobs'))).toEqual([`${blobOf('shared tar').digest}.tar`]);
  });

  it.skipIf(!open)('pull-request runs read the cache but never write it', async () => {
    await upload(await run(), 'from a push');
    const pr = await run({ branch: 'feature/pr', trigger: 'pull_request' });
    expect(cache.readOnlyReason(pr)).toMatch(/pull-request/);
    expect(await cache.check(pr, blobOf('from a fork'))).toEqual({ stored: false, writable: false, reason: expect.stringMatching(/never write/) });
    expect(await upload(pr, 'from a fork')).toMatchObject({ stored: false, status: 422 });
    expect(await cache.find({ applicationId: 1, pipeline: 'build', branch: 'feature/pr' }, 'main')).toMatchObject({ branch: 'main', digest: blobOf('from a push').digest });
    expect((await cacheEntriesByAge(store)).map((e) => e.branch)).toEqual(['main']);
  });

  it.skipIf(!open)('an unchanged cache is recognised by its digest and not taken again; a branch with the same tar is pointed at it', async () => {
    const row = await run();
    expect(await cache.check(row, blobOf('same'))).toEqual({ stored: false, writable: true });
    await upload(row, 'same');
    expect(await cache.check(await run(), blobOf('same'))).toEqual({ stored: true, writable: true });
    // A feature branch that left the default branch's cache as it found it: no upload, its own entry now.
    expect(await cache.check(await run({ branch: 'feature/y' }), blobOf('same'))).toEqual({ stored: true, writable: true });
    expect((await cacheEntriesByAge(store)).map((e) => e.branch).sort()).toEqual(['feature/y', 'main']);
    // Another application's digest is not this application's: it must send its own.
    expect(await cache.check(await run({ application_id: 2 }), blobOf('same'))).toEqual({ stored: false, writable: true });
  });

  it.skipIf(!open)('an upload cut in half, short, too long or with another digest never becomes the cache', async () => {
    const row = await run();
    await upload(row, 'the good cache');
    const next = blobOf('a newer cache that is cut off');
    expect(await cache.receive(row, next, streamOf(next.bytes, 5), async () => true)).toMatchObject({ stored: false, status: 400 });
    expect(await cache.receive(row, { ...next, size: next.size + 10 }, streamOf(next.bytes), async () => true)).toMatchObject({ stored: false, reason: expect.stringMatching(/ended after/) });
    expect(await cache.receive(row, { ...next, size: next.size - 1 }, streamOf(next.bytes), async () => true)).toMatchObject({ stored: false, status: 422 });
    expect(await cache.receive(row, { ...next, digest: blobOf('other').digest }, streamOf(next.bytes), async () => true)).toMatchObject({ stored: false, status: 422 });
    expect(await cache.find({ applicationId: 1, pipeline: 'build', branch: 'main' }, 'main')).toMatchObject({ digest: blobOf('the good cache').digest });
    expect(readdirSync(path.join(dir, 'parts'))).toEqual([]);
    expect(readdirSync(path.join(dir, 'blobs'))).toEqual([`${blobOf('the good cache').digest}.tar`]);
  });

  it.skipIf(!open)('an upload whose claim ended meanwhile is dropped; one over the application limit is refused unread', async () => {
    const row = await run();
    const b = blobOf('late');
    expect(await cache.receive(row, b, streamOf(b.bytes), async () => false)).toBe('lost');
    expect(await cacheEntriesByAge(store)).toEqual([]);
    expect(await cache.check(row, { digest: b.digest, size: 11 * MB })).toMatchObject({ writable: false, reason: expect.stringMatching(/--max-cache-mb/) });
  });

  it.skipIf(!open)('a blob that can\'t be put in place (a full disk at the rename) leaves no row: rename and row are one step', async () => {
    const key = { applicationId: 1, pipeline: 'build', branch: 'main' };
    await expect(putCacheEntry(store, key, { digest: blobOf('x').digest, size: 1 }, async () => {
      throw new Error('disk full');
    })).rejects.toThrow('disk full');
    expect(await cacheEntriesByAge(store)).toEqual([]);
  });

  it.skipIf(!open)('eviction: least recently used first, the application\'s own beyond its limit, then everyone\'s beyond the total, never the one just stored', async () => {
    cache = new SharedCache(store, dir, { perApplicationBytes: 3 * MB, totalBytes: 4 * MB });
    const sized = (name: string, mb: number) => {
      const bytes = Buffer.alloc(mb * MB, name);
      return { bytes, digest: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
    };
    const put = async (o: { app: number; branch: string }, mb: number) => {
      const b = sized(`${o.app}${o.branch}`, mb);
      await new Promise((r) => setTimeout(r, 5)); // distinct last_used_at
      return cache.receive(await run({ application_id: o.app, branch: o.branch }), b, streamOf(b.bytes), async () => true);
    };
    await put({ app: 1, branch: 'a' }, 1);
    await put({ app: 1, branch: 'b' }, 1);
    await put({ app: 2, branch: 'a' }, 1);
    await new Promise((r) => setTimeout(r, 5));
    await cache.find({ applicationId: 1, pipeline: 'build', branch: 'a' }, 'main'); // 1/a is used again: now 1/b is the oldest of app 1
    await put({ app: 1, branch: 'c' }, 1); // app 1 at 3 MB: within its limit; all at 4 MB: within the total
    const keys = async () => (await cacheEntriesByAge(store)).map((e) => `${e.applicationId}/${e.branch}`);
    expect(await keys()).toEqual(['1/b', '2/a', '1/a', '1/c']);
    await put({ app: 1, branch: 'd' }, 2); // app 1 would be 5 MB: its least recently used go (1/b, then 1/a); all: 4 MB, within
    expect(await keys()).toEqual(['2/a', '1/c', '1/d']);
    expect(readdirSync(path.join(dir, 'blobs')).length).toBe(3);
    await put({ app: 2, branch: 'b' }, 3); // app 2 at 4 MB: 2/a goes; all at 6 MB: the oldest of all go (1/c, 1/d), never 2/b
    expect(await keys()).toEqual(['2/b']);
    expect(existsSync(path.join(dir, 'blobs', `${sized('2b', 3).digest}.tar`))).toBe(true);
  });
});
