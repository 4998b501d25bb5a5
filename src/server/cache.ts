import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  applicationHasDigest, cacheEntriesByAge, deleteCacheEntriesOf, deleteCacheEntry, digestInUse, getCacheEntry, putCacheEntry, touchCacheEntry, type CacheEntry, type CacheKey,
} from '../store/cache.ts';
import type { Store } from '../store/db.ts';
import type { RunRow } from '../store/runs.ts';
import type { CacheBlob, CacheCheck, CachePut, SharedCacheFound } from '../runner/protocol.ts';
import { BodyTooLargeError } from './body-limits.ts';
import { formatBytes } from './limits.ts';

/** How much the shared cache may hold: per application (`--max-cache-mb`) and in all (`--max-cache-total-mb`). */
export interface CacheLimits { perApplicationBytes: number; totalBytes: number }

/** A cache found for a run or a user: where its tar is, and which branch's cache it is (the default branch's when the branch has none). */
export interface FoundCache extends SharedCacheFound { file: string }

const DIGEST = /^[0-9a-f]{64}$/;

/** The trigger of pull-request runs (queued by the forge integration): they read the cache, never write it. */
const PULL_REQUEST_TRIGGER = 'pull_request';

class UploadRefused extends Error {
  constructor(readonly status: 400 | 413 | 422 | 507, message: string) {
    super(message);
  }
}

/**
 * The shared cache (docs/wercker-compat.md §4.10): the contents of `$WERCKER_CACHE_DIR` after a
 * passed run, kept per application + pipeline + branch as a tar named by its sha-256 in
 * `<data>/cache/`, so runners on any machine start warm. A branch without a cache reads the
 * application's default branch's. An upload becomes the cache only whole: it is written to a
 * part file, its size and digest checked, and then renamed in the same transaction that points
 * the key at it. Eviction: least recently used first (last upload or download), an
 * application's other caches beyond its limit, then every application's beyond the total; the
 * cache just stored is never evicted by its own upload.
 */
export class SharedCache {

  readonly #blobs: string;
  readonly #parts: string;

  constructor(private readonly store: Store, dir: string, readonly limits: CacheLimits, private readonly log: (line: string) => void = () => undefined) {
    this.#blobs = path.join(dir, 'blobs');
    this.#parts = path.join(dir, 'parts');
  }

  /** The cache of this branch, else of `defaultBranch`; marks it used. */
  async find(key: CacheKey, defaultBranch: string): Promise<FoundCache | undefined> {
    let entry = await getCacheEntry(this.store, key);
    if (!entry && defaultBranch !== key.branch) entry = await getCacheEntry(this.store, { ...key, branch: defaultBranch });
    if (!entry) return undefined;
    const file = this.#blobPath(entry.digest);
    if (!(await stat(file).catch(() => undefined))) return undefined;
    await touchCacheEntry(this.store, entry);
    return { digest: entry.digest, size: entry.size, branch: entry.branch, file };
  }

  /** Why this run may not write the cache (undefined: it may). */
  readOnlyReason(run: Pick<RunRow, 'trigger' | 'untrusted'>): string | undefined {
    if (run.trigger === PULL_REQUEST_TRIGGER) return 'pull-request runs read the shared cache but never write it';
    // A retry or a workflow's later run of a fork's pull request keeps its untrusted mark, whatever its trigger.
    if (run.untrusted) return 'runs of untrusted code (a fork\'s pull request) read the shared cache but never write it';
    return undefined;
  }

  /**
   * Asked before an upload: whether the run's key already holds this tar (marked used), or
   * another of the application's caches does (the key is pointed at it: nothing to send).
   * `stored: false, writable: true`: send it with `receive`.
   */
  async check(run: RunRow, blob: CacheBlob): Promise<CacheCheck> {
    const refused = this.#refusal(run, blob);
    if (refused) return { stored: false, writable: false, reason: refused.message };
    const key = keyOf(run);
    const current = await getCacheEntry(this.store, key);
    if (current?.digest === blob.digest && (await this.#blobExists(blob.digest))) {
      await touchCacheEntry(this.store, key);
      return { stored: true, writable: true };
    }
    // Only this application's own caches count: a digest is no way to learn what another application caches.
    if ((await applicationHasDigest(this.store, run.application_id, blob.digest)) && (await this.#blobExists(blob.digest))) {
      await this.#point(key, blob, async () => undefined);
      return { stored: true, writable: true };
    }
    return { stored: false, writable: true };
  }

  /** Takes an upload for the run's key; `stillHeld` is asked once it is all in (the claim may have ended meanwhile). */
  async receive(run: RunRow, blob: CacheBlob, body: ReadableStream<Uint8Array>, stillHeld: () => Promise<boolean>): Promise<CachePut | 'lost'> {
    const refused = this.#refusal(run, blob);
    if (refused) return { stored: false, status: refused.status, reason: refused.message };
    const part = path.join(this.#parts, `${run.id}-${process.pid}-${Date.now()}.part`);
    try {
      await mkdir(this.#parts, { recursive: true, mode: 0o700 });
      await mkdir(this.#blobs, { recursive: true, mode: 0o700 });
      await receiveVerified(body, part, blob);
      if (!(await stillHeld())) return 'lost';
      await this.#point(keyOf(run), blob, () => rename(part, this.#blobPath(blob.digest)));
      this.log(`werker server: stored the shared cache of run ${run.id} (${run.pipeline} on ${run.branch}, ${formatBytes(blob.size)})`);
      return { stored: true };
    } catch (err) {
      const why = uploadRefusal(err);
      this.log(`werker server: the cache upload of run ${run.id} was not stored: ${why.message}`);
      return { stored: false, status: why.status, reason: why.message };
    } finally {
      await rm(part, { force: true });
    }
  }

  /** The tar of a found cache, as a stream. */
  open(found: FoundCache): ReadableStream<Uint8Array> {
    return Readable.toWeb(createReadStream(found.file)) as ReadableStream<Uint8Array>;
  }

  /** Removes a deleted application's caches (and their tars, unless another application has the same one). */
  async forgetApplication(applicationId: number): Promise<void> {
    for (const digest of await deleteCacheEntriesOf(this.store, applicationId)) {
      if (!(await digestInUse(this.store, digest))) await rm(this.#blobPath(digest), { force: true });
    }
  }

  /** Evicts least recently used caches until the application and the whole server are within their limits; never `keep`. */
  async evict(keep: CacheKey): Promise<CacheEntry[]> {
    const evicted = await this.#evictBeyond(await cacheEntriesByAge(this.store, keep.applicationId), this.limits.perApplicationBytes, keep);
    evicted.push(...(await this.#evictBeyond(await cacheEntriesByAge(this.store), this.limits.totalBytes, keep)));
    return evicted;
  }

  async #evictBeyond(entries: CacheEntry[], limit: number, keep: CacheKey): Promise<CacheEntry[]> {
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    const evicted: CacheEntry[] = [];
    for (const entry of entries) {
      if (total <= limit) break;
      if (sameKey(entry, keep)) continue;
      if (await deleteCacheEntry(this.store, entry)) await rm(this.#blobPath(entry.digest), { force: true });
      total -= entry.size;
      evicted.push(entry);
    }
    return evicted;
  }

  /** Points the key at the blob (placed by `place` in the same step), drops the blob it held before if nothing else uses it, then evicts. */
  async #point(key: CacheKey, blob: CacheBlob, place: () => Promise<void>): Promise<void> {
    const before = await putCacheEntry(this.store, key, blob, place);
    if (before && !(await digestInUse(this.store, before))) await rm(this.#blobPath(before), { force: true });
    const evicted = await this.evict(key);
    if (evicted.length) this.log(`werker server: evicted ${evicted.length} shared cache(s) (least recently used) to stay within the cache limits`);
  }

  #refusal(run: Pick<RunRow, 'trigger' | 'untrusted'>, blob: CacheBlob): UploadRefused | undefined {
    const readOnly = this.readOnlyReason(run);
    if (readOnly) return new UploadRefused(422, readOnly);
    if (!DIGEST.test(blob.digest) || !Number.isSafeInteger(blob.size) || blob.size <= 0) return new UploadRefused(400, 'a cache upload names its sha-256 digest (64 hex digits) and its size in bytes');
    if (blob.size > this.limits.perApplicationBytes) {
      return new UploadRefused(413, `the cache is ${formatBytes(blob.size)}, over the ${formatBytes(this.limits.perApplicationBytes)} one application may keep (--max-cache-mb)`);
    }
    return undefined;
  }

  #blobPath(digest: string): string {
    return path.join(this.#blobs, `${digest}.tar`);
  }

  async #blobExists(digest: string): Promise<boolean> {
    return Boolean(await stat(this.#blobPath(digest)).catch(() => undefined));
  }
}

/** The key of a run's cache: its application, pipeline and branch. */
export const keyOf = (run: Pick<RunRow, 'application_id' | 'pipeline' | 'branch'>): CacheKey => ({ applicationId: run.application_id, pipeline: run.pipeline, branch: run.branch });

const sameKey = (a: CacheKey, b: CacheKey): boolean => a.applicationId === b.applicationId && a.pipeline === b.pipeline && a.branch === b.branch;

/**
 * Streams the body into `part`, counting and hashing it: more bytes than declared stop it at
 * once; fewer, or another digest, refuse it. The file is synced before it may be renamed, so a
 * crash never leaves a short blob under a digest's name.
 */
async function receiveVerified(body: ReadableStream<Uint8Array>, part: string, blob: CacheBlob): Promise<void> {
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > blob.size) return done(new UploadRefused(422, `the upload is longer than the ${blob.size} bytes it declared`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const out = createWriteStream(part, { mode: 0o600 });
  try {
    await pipe(Readable.fromWeb(body as WebReadableStream<Uint8Array>), meter, out);
  } catch (err) {
    // A refused stream may still be opening its file: wait until it is closed, or the caller's
    // removal of the part file could run first and the file appear after it.
    if (!out.closed) await once(out, 'close').catch(() => undefined);
    throw err;
  }
  if (bytes !== blob.size) throw new UploadRefused(400, `the upload ended after ${bytes} of its ${blob.size} bytes (cut off); the previous cache is kept`);
  const digest = hash.digest('hex');
  if (digest !== blob.digest) throw new UploadRefused(422, `the upload's sha-256 is ${digest}, not the ${blob.digest} it declared; the previous cache is kept`);
  const handle = await open(part, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** What an upload that failed is told: a full disk (507), too large (413), cut off or wrong (400/422). */
function uploadRefusal(err: unknown): UploadRefused {
  if (err instanceof UploadRefused) return err;
  if (err instanceof BodyTooLargeError) return new UploadRefused(413, err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new UploadRefused(507, 'the server\'s disk is full; the previous cache is kept (free space in its data dir, or lower --max-cache-total-mb)');
  return new UploadRefused(400, `the upload failed (${(err as Error).message}); the previous cache is kept`);
}
