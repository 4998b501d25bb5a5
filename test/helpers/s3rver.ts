import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where scripts/setup-s3rver.sh installs s3rver (an S3-compatible server from npm). */
export const S3RVER_DIR = process.env.WERKER_S3RVER_DIR ?? '/var/lib/werker/s3rver';

/**
 * The s3rver install the s3sync test copies into the project it builds (the box runs it on its
 * own loopback), or undefined when scripts/setup-s3rver.sh has not run; with
 * WERKER_REQUIRE_DOCKER=1 a missing install fails the suite instead.
 */
export function s3rverDir(): string | undefined {
  if (existsSync(path.join(S3RVER_DIR, 'node_modules/s3rver/bin/s3rver.js'))) return S3RVER_DIR;
  if (process.env.WERKER_REQUIRE_DOCKER === '1') throw new Error(`no s3rver in ${S3RVER_DIR}: run scripts/setup-s3rver.sh`);
  return undefined;
}
