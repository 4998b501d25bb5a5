import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { prng } from '../../test/helpers/fuzz.ts';

export interface TreeShape {
  files: number;
  bytes: number;
  /** How many of the files are large (a vendored binary, a fixture database…). */
  large: number;
  filesPerDir: number;
}

/** Like a real project: tens of thousands of small files, most of the bytes in a few big ones. */
export const P5_TREE: TreeShape = { files: 30_000, bytes: 500 * 1024 * 1024, large: 20, filesPerDir: 100 };

const SMALL_MAX = 16 * 1024;
const WRITERS = 32;

/**
 * Writes a project tree of the given shape under `dir` (seeded, so every run copies the same
 * sizes). Contents are slices of one random buffer: nothing compresses the copy, so what the
 * bytes are does not matter, only that they are not sparse zeros.
 */
export async function writeSourceTree(dir: string, shape: TreeShape, seed = 5): Promise<{ files: number; bytes: number; largeBytes: number }> {
  const rand = prng(seed);
  const smallCount = shape.files - shape.large;
  const smallSizes = Array.from({ length: smallCount }, () => 1 + Math.floor(rand() * SMALL_MAX));
  const smallBytes = smallSizes.reduce((a, b) => a + b, 0);
  const largeSize = Math.max(0, Math.floor((shape.bytes - smallBytes) / Math.max(1, shape.large)));
  const sizes = [...smallSizes, ...Array.from({ length: shape.large }, () => largeSize)];
  const pool = randomBytes(Math.max(SMALL_MAX, largeSize) + SMALL_MAX);
  const jobs = sizes.map((size, i) => {
    const sub = path.join(dir, `d${String(Math.floor(i / shape.filesPerDir / 10)).padStart(2, '0')}`, `m${String(Math.floor(i / shape.filesPerDir)).padStart(3, '0')}`);
    return { file: path.join(sub, `f${String(i).padStart(5, '0')}.dat`), size, offset: i % SMALL_MAX };
  });
  const dirs = new Set(jobs.map((j) => path.dirname(j.file)));
  for (const d of dirs) await mkdir(d, { recursive: true });
  let next = 0;
  const writer = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      await writeFile(job.file, pool.subarray(job.offset, job.offset + job.size));
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
  return { files: sizes.length, bytes: sizes.reduce((a, b) => a + b, 0), largeBytes: largeSize };
}
