import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The data dir holds the SQLite file (protected values, private keys, token hashes), repository
 * mirrors and build outputs: it is created 0700 and the database 0600 (store/db.ts). One made
 * earlier, or by hand, may be wider: each path open to other users is named, with the fix.
 */
export function prepareDataDir(dataDir: string, sqliteFile: string | undefined, log: (line: string) => void): string[] {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const wide: string[] = [];
  const check = (p: string, want: number) => {
    const mode = statModeOf(p);
    if (mode === undefined || (mode & 0o077) === 0) return;
    wide.push(p);
    log(`werker server: warning: ${p} is open to other users (mode ${mode.toString(8).padStart(4, '0')}); it holds protected values and private keys: chmod ${want.toString(8)} ${p}`);
  };
  check(dataDir, 0o700);
  if (sqliteFile) for (const f of [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`]) check(f, 0o600);
  for (const sub of ['outputs', 'repos', 'work', 'cache']) check(path.join(dataDir, sub), 0o700);
  return wide;
}

function statModeOf(p: string): number | undefined {
  try {
    return statSync(p).mode & 0o777;
  } catch {
    return undefined;
  }
}
