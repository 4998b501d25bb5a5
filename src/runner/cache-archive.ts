import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import tarFs from 'tar-fs';
import tarStream, { type Header, type Pack } from 'tar-stream';
import type { CacheBlob } from './protocol.ts';

/** What packing a cache dir made: the tar's digest and size, and how many regular files it holds. */
export interface PackedCache extends CacheBlob { files: number }

const EPOCH = new Date(0);

/**
 * Packs `dir` into `tarFile` the same way every time the same files are there: entries in
 * byte order of their names, mtimes at the epoch, owners 0 with no names, modes 0755/0644 (a
 * file keeps only whether it is executable). So an unchanged cache has the same sha-256 on any
 * runner, and the server is not sent it again (docs/wercker-compat.md §4.10).
 */
export async function packCacheDir(dir: string, tarFile: string): Promise<PackedCache> {
  const pack = tarStream.pack();
  const meter = hashing(createHash('sha256'));
  const written = pipe(Readable.from(pack as unknown as AsyncIterable<Buffer>), meter.stream, createWriteStream(tarFile, { mode: 0o600 }));
  let files = 0;
  try {
    files = await addTree(pack, dir, '');
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await written.catch(() => undefined);
    throw err;
  }
  await written;
  return { digest: meter.hash.digest('hex'), size: meter.bytes(), files };
}

/**
 * Unpacks a downloaded cache tar into `dir` (made empty first), checking on the way that it is
 * the `expected` tar: another size or digest (a download cut off, a disk that lied) empties the
 * dir again and throws, so a run never starts from half a cache.
 */
export async function unpackVerified(tar: ReadableStream<Uint8Array>, dir: string, expected: CacheBlob): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const meter = hashing(createHash('sha256'));
  try {
    await pipe(Readable.fromWeb(tar as WebReadableStream<Uint8Array>), meter.stream, tarFs.extract(dir) as unknown as NodeJS.WritableStream);
    const digest = meter.hash.digest('hex');
    if (meter.bytes() !== expected.size || digest !== expected.digest) {
      throw new Error(`the download was ${meter.bytes()} bytes with sha-256 ${digest.slice(0, 12)}…, not the ${expected.size} bytes ${expected.digest.slice(0, 12)}… the server named`);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    throw err;
  }
}

/** Adds the entries under `abs` (named `rel/…`) in name order; returns the regular files added. */
async function addTree(pack: Pack, abs: string, rel: string): Promise<number> {
  const names = (await readdir(path.join(abs, rel))).sort(byCodeUnits);
  let files = 0;
  for (const name of names) {
    const relPath = rel ? `${rel}/${name}` : name;
    const full = path.join(abs, relPath);
    const info = await lstat(full);
    const base = { name: relPath, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' };
    if (info.isDirectory()) {
      await addEntry(pack, { ...base, type: 'directory', mode: 0o755 });
      files += await addTree(pack, abs, relPath);
    } else if (info.isSymbolicLink()) {
      await addEntry(pack, { ...base, type: 'symlink', mode: 0o777, linkname: await readlink(full) });
    } else if (info.isFile()) {
      await addEntry(pack, { ...base, type: 'file', mode: info.mode & 0o111 ? 0o755 : 0o644, size: info.size }, full);
      files++;
    }
    // Sockets, fifos and devices are not cache content: left out.
  }
  return files;
}

/** One entry; a file's content is streamed in with back-pressure, never read whole. */
async function addEntry(pack: Pack, header: Partial<Header> & { name: string }, file?: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    if (!file) return;
    void (async () => {
      for await (const chunk of createReadStream(file)) {
        if (!entry.write(chunk as Buffer)) await new Promise<void>((r) => entry.once('drain', () => r()));
      }
      entry.end(undefined);
    })().catch((err: Error) => {
      entry.destroy(err);
      reject(err);
    });
  });
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function hashing(hash: Hash): { stream: Transform; hash: Hash; bytes: () => number } {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, hash, bytes: () => bytes };
}
