import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-fs';
import { DockerApiError } from '../errors.ts';
import type { RunPlan } from '../plan/types.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { Bus } from './events.ts';

const MAX_CACHE_BYTES = 1000 * 1024 * 1024;

class CacheTooLarge extends Error {}

/**
 * Collects the box's /pipeline/cache at the end, pass or fail (docs/wercker-compat.md §4.10): it
 * replaces `<working dir>/cache`. A cache dir that is gone (a step removed /pipeline) or holds no
 * file keeps the old cache; one over 1000 MB is logged and the old cache kept. Never fails the run.
 */
export async function collectCache(plan: RunPlan, runtime: ContainerRuntime, boxId: string, bus: Bus): Promise<void> {
  const cacheDir = path.resolve(plan.workingDir, 'cache');
  const incoming = `${cacheDir}.incoming-${plan.runId}`;
  await rm(incoming, { recursive: true, force: true });
  try {
    const archive = await runtime.getArchive(boxId, plan.paths.cache);
    await mkdir(incoming, { recursive: true });
    const files = await extractDir(archive, incoming);
    if (files === 0) return;
    await rm(cacheDir, { recursive: true, force: true });
    await rename(incoming, cacheDir);
  } catch (err) {
    if (err instanceof DockerApiError && err.status === 404) return;
    const why = err instanceof CacheTooLarge ? 'it is over 1000 MB' : (err as Error).message;
    bus.emit({ type: 'log', level: 'warn', text: `the cache was not stored (${why}); the previous cache is kept` });
  } finally {
    await rm(incoming, { recursive: true, force: true });
  }
}

/** Extracts an archive of one directory (entries `<dir>/…`) into `to`; returns its regular-file count. */
async function extractDir(archive: NodeJS.ReadableStream, to: string): Promise<number> {
  let files = 0;
  let bytes = 0;
  const counted = new PassThrough();
  counted.on('data', (c: Buffer) => {
    bytes += c.length;
    if (bytes > MAX_CACHE_BYTES) counted.destroy(new CacheTooLarge());
  });
  const extract = tar.extract(to, {
    map: (header) => {
      header.name = header.name.split('/').slice(1).join('/') || '.';
      if (header.type === 'file') files++;
      return header;
    },
  });
  await pipeline(archive, counted, extract as unknown as NodeJS.WritableStream);
  return files;
}
