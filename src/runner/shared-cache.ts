import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { packCacheDir, unpackVerified } from './cache-archive.ts';
import type { Job, RunnerBackend } from './protocol.ts';

type Log = (text: string, level?: 'info' | 'warn') => void;

/**
 * Before the run: the server's shared cache of the job's pipeline (its branch's, else the
 * default branch's) into `cacheDir`, the dir the engine copies into `$WERCKER_CACHE_DIR`
 * (docs/wercker-compat.md §4.10). Nothing there, or a download that fails: the run starts with
 * an empty cache and says so; it never fails for it.
 */
export async function restoreSharedCache(job: Job, backend: RunnerBackend, cacheDir: string, log: Log): Promise<void> {
  if (!job.cache) return;
  await mkdir(cacheDir, { recursive: true });
  const started = Date.now();
  try {
    const got = await backend.getCache(job.runId, job.lease);
    if (!got) {
      log(`no shared cache for ${job.pipeline} on ${job.branch} yet: the run starts with an empty cache`);
      return;
    }
    await unpackVerified(got.tar, cacheDir, got.found);
    const whose = got.found.branch === job.branch ? '' : ` of ${got.found.branch} (the default branch; ${job.branch} has none yet)`;
    log(`restored the shared cache${whose}: ${megabytes(got.found.size)}, sha256 ${got.found.digest.slice(0, 12)}, in ${seconds(started)}`);
  } catch (err) {
    log(`the shared cache was skipped: it could not be downloaded (${(err as Error).message}); the run starts with an empty cache`, 'warn');
  }
}

/**
 * After a passed run: `cacheDir` (what the engine collected from `$WERCKER_CACHE_DIR`) packed the
 * same way every time, its digest offered to the server first (an unchanged cache is not sent
 * again), then uploaded. A full disk, a refusal or any failure is a warning line: the run passes.
 */
export async function storeSharedCache(job: Job, backend: RunnerBackend, cacheDir: string, tempDir: string, log: Log): Promise<void> {
  if (!job.cache) return;
  if (!job.cache.write) {
    log('the shared cache is read-only for this run (a pull request): it was not stored');
    return;
  }
  const tarFile = path.join(tempDir, 'shared-cache.tar');
  const started = Date.now();
  try {
    const packed = await packCacheDir(cacheDir, tarFile);
    if (packed.files === 0) return;
    const blob = { digest: packed.digest, size: packed.size };
    const check = await backend.checkCache(job.runId, job.lease, blob);
    if (!check) return;
    if (check.stored) return log(`the shared cache is unchanged (sha256 ${blob.digest.slice(0, 12)}): not uploaded again`);
    if (!check.writable) return log(`the shared cache was skipped: ${check.reason}`, 'warn');
    const tar = Readable.toWeb(createReadStream(tarFile)) as ReadableStream<Uint8Array>;
    const put = await backend.putCache(job.runId, job.lease, blob, tar);
    if (put.stored) log(`stored the shared cache: ${megabytes(blob.size)}, sha256 ${blob.digest.slice(0, 12)}, in ${seconds(started)}`);
    else if (put.status !== 409) log(`the shared cache was skipped: the server did not store it (${put.reason}); the run still passes`, 'warn');
  } catch (err) {
    log(`the shared cache was skipped: ${(err as Error).message}; the run still passes`, 'warn');
  } finally {
    await rm(tarFile, { force: true });
  }
}

const megabytes = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;
