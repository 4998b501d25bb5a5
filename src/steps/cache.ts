import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Fills `dir` through a temporary sibling that is renamed into place only when `fill` succeeded,
 * so the step cache never holds a half-written package (docs/wercker-compat.md §7.2). A failure,
 * or a `check` that throws, removes the temporary directory. When another run got there first,
 * its copy is kept.
 */
export async function installAtomically(dir: string, fill: (tmp: string) => Promise<void>, check?: (tmp: string) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true });
  const tmp = path.join(path.dirname(dir), `.tmp-${path.basename(dir)}-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    await fill(tmp);
    if (check) await check(tmp);
    try {
      await rename(tmp, dir);
    } catch (err) {
      if (!existsSync(dir)) throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
