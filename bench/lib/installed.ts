import path from 'node:path';
import { packAndInstall, type PackedInstall } from '../../test/helpers/packed-install.ts';
import { CleanupScope } from './cleanup-scope.ts';
import { makeTempDir } from './temp-dir.ts';

/** Removed when the bench ends (run.ts disposes every open scope), or on Ctrl-C. */
const scope = new CleanupScope();
let installing: Promise<PackedInstall> | undefined;

/**
 * werker as users run it: this tree packed (`npm pack`, whose prepack builds the bundle) and
 * installed with `npm install -g --prefix` into a temp dir, once per bench run, on first use.
 * `BENCH_WERKER_PREFIX=DIR` measures a werker installed there instead (e.g. an older version,
 * for a before/after comparison).
 */
export function installedWerker(): Promise<PackedInstall> {
  const given = process.env.BENCH_WERKER_PREFIX;
  if (given) {
    const prefix = path.resolve(given);
    const packageDir = path.join(prefix, 'lib/node_modules/werker');
    return Promise.resolve({ tarball: '', prefix, bin: path.join(prefix, 'bin/werker'), packageDir, packMs: 0, installMs: 0 });
  }
  installing ??= (async () => {
    const dir = await makeTempDir(scope, 'install');
    const installed = await packAndInstall(dir);
    process.stderr.write(`[bench] installed ${path.basename(installed.tarball)} into ${installed.prefix} ` +
      `(pack ${(installed.packMs / 1000).toFixed(1)} s, install ${(installed.installMs / 1000).toFixed(1)} s)\n`);
    return installed;
  })();
  return installing;
}

/** The installed package's entry (what its `werker` bin links to), to run with this node. */
export async function installedEntry(): Promise<string> {
  return path.join((await installedWerker()).packageDir, 'dist/cli/main.js');
}
