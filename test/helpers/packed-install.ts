import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './corpus.ts';

const run = promisify(execFile);

export interface PackedInstall {
  /** The `npm pack` tarball (werker-VERSION.tgz). */
  tarball: string;
  /** The prefix it was installed into (`npm install -g --prefix`): bin/werker, lib/node_modules/werker. */
  prefix: string;
  /** The installed `werker` bin, as a user's PATH finds it. */
  bin: string;
  /** The installed package's directory. */
  packageDir: string;
  /** Wall time of pack and install, for the report. */
  packMs: number;
  installMs: number;
}

/** npm settings a CI may give through the environment, which the child npm keeps. */
const KEPT_NPM_SETTINGS = /^npm_config_(cache|registry|userconfig)$/i;

/**
 * The environment for a child npm: without the other npm_* variables of an `npm test` or
 * `npm run` around us, which would point the child at this repository's package and prefix.
 */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || KEPT_NPM_SETTINGS.test(k)));
}

/**
 * What a user does with a clone: `npm pack` (whose prepack script runs `npm run build`, so the
 * tarball holds the bundle of the current source), then `npm install -g` of the tarball into
 * `dir/prefix`, from a directory outside the repository. Packages come from npm's cache when it
 * has them (`--prefer-offline`), else from the registry. Dependencies' install scripts are not
 * run: the one that builds something, better-sqlite3's native addon for `werker server`, takes
 * minutes on this machine and is npm's own work (the repository's `npm ci` builds the same
 * version); werker's package has no install script of its own.
 */
export async function packAndInstall(dir: string): Promise<PackedInstall> {
  const env = npmEnv();
  const packDir = path.join(dir, 'pack');
  const prefix = path.join(dir, 'prefix');
  await mkdir(packDir, { recursive: true });
  let started = performance.now();
  const packed = await run('npm', ['pack', '--pack-destination', packDir, '--json'], { cwd: repoRoot, env, maxBuffer: 64 << 20 });
  const packMs = performance.now() - started;
  const [result] = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[/m))) as { filename: string }[];
  const tarball = path.join(packDir, result!.filename);
  started = performance.now();
  await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball],
    { cwd: dir, env, maxBuffer: 64 << 20 });
  const installMs = performance.now() - started;
  const bin = path.join(prefix, 'bin', 'werker');
  if (!existsSync(bin)) throw new Error(`npm install -g put no bin/werker in ${prefix} (found ${readdirSync(prefix).join(', ')})`);
  return { tarball, prefix, bin, packageDir: path.join(prefix, 'lib', 'node_modules', 'werker'), packMs, installMs };
}
