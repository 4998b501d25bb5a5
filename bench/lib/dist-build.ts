import { existsSync } from 'node:fs';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import type { CleanupScope } from './cleanup-scope.ts';
import { runBash } from './shell.ts';
import { makeTempDir } from './temp-dir.ts';
import { repoRoot } from './werker-cli.ts';

/**
 * Compiles src/ as `npm run build` does, but into a temp dir (the repository's dist/ is left
 * alone), with node_modules linked beside it so the packages resolve. Returns the CLI entry:
 * how the installed `werker` bin runs, without tsx's transform at start-up.
 */
export async function buildDist(scope: CleanupScope): Promise<string> {
  const dir = await makeTempDir(scope, 'dist');
  const tsc = path.join(repoRoot, 'node_modules/.bin/tsc');
  // A type error elsewhere in a tree being edited must not stop the measurement: tsc still emits.
  await runBash(`cd '${repoRoot}' && '${tsc}' -p tsconfig.json --outDir '${dir}/dist' || true`);
  await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  const entry = path.join(dir, 'dist/cli/main.js');
  if (!existsSync(entry)) throw new Error('tsc produced no dist/cli/main.js');
  return entry;
}
