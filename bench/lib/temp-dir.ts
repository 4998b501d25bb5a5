import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CleanupScope } from './cleanup-scope.ts';

/** A fresh directory under the system temp dir, removed (with all it holds) when the scope ends. */
export async function makeTempDir(scope: CleanupScope, name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `werker-bench-${name}-`));
  scope.defer(`temp dir ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}
