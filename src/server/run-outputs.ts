import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Store } from '../store/db.ts';
import { setOutputPath } from '../store/outputs.ts';
import type { RunRow } from '../store/runs.ts';
import { OutputRemovedError } from './retention.ts';

/**
 * Receives a run's output tar into `<outputs>/<run>.tar`. The upload goes to a part file of its
 * own claim first; it becomes the run's output only if `stillHeld` says the claim still holds
 * the run once it is in. False: it no longer does (nothing is kept).
 */
export async function receiveOutput(store: Store, outputsDir: string, runId: number, lease: string, tar: ReadableStream<Uint8Array>, stillHeld: () => Promise<boolean>): Promise<boolean> {
  await mkdir(outputsDir, { recursive: true, mode: 0o700 });
  const file = path.join(outputsDir, `${runId}.tar`);
  const part = `${file}.${lease}.part`;
  try {
    await pipe(Readable.fromWeb(tar as WebReadableStream<Uint8Array>), createWriteStream(part, { mode: 0o600 }));
    if (!(await stillHeld())) return false;
    await rename(part, file);
  } finally {
    await rm(part, { force: true });
  }
  await setOutputPath(store, runId, file);
  return true;
}

/** The stored output of a source run, to stream to the runner deploying from it; throws when retention removed it. */
export function openOutput(source: RunRow | undefined): ReadableStream<Uint8Array> | undefined {
  if (source?.output_removed_at) throw new OutputRemovedError(source.id, source.output_removed_at);
  if (!source?.output_path || !existsSync(source.output_path)) return undefined;
  return Readable.toWeb(createReadStream(source.output_path)) as ReadableStream<Uint8Array>;
}
