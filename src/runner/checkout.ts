import { mkdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import tarFs from 'tar-fs';
import { git } from '../runtime/git.ts';

/** Written into each run's work dir: `host pid` of the runner process that holds it (see sweepWorkRoot in worker.ts). */
export const OWNER_FILE = '.werker-owner';

/**
 * The repository at one commit, in `dir` (a fresh clone without checkout, then a detached
 * checkout). A commit no branch holds — a pull request's head from a fork, which the forge keeps
 * under `refs/pull/N/head` — is fetched by its id first.
 */
export async function checkoutCommit(repository: string, commit: string, dir: string): Promise<void> {
  await git(['clone', '--no-checkout', '--quiet', '--', repository, dir]);
  const known = await git(['cat-file', '-e', `${commit}^{commit}`], dir).then(() => true, () => false);
  if (!known) await git(['fetch', '--quiet', 'origin', commit], dir);
  await git(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', commit], dir);
}

/** Unpacks a run output tar (as the server sends it) into `dir`. */
export async function extractTar(tar: ReadableStream<Uint8Array>, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await pipe(Readable.fromWeb(tar as WebReadableStream<Uint8Array>), tarFs.extract(dir));
}

/** A tar stream of a directory, for uploading a run's output. */
export function packDir(dir: string): ReadableStream<Uint8Array> {
  // tar-fs streams are streamx streams: wrap them through their async iterator for the web stream.
  return Readable.toWeb(Readable.from(tarFs.pack(dir) as unknown as AsyncIterable<Uint8Array>)) as ReadableStream<Uint8Array>;
}
