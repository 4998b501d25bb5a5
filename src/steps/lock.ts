import { existsSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.ts';

/**
 * The lock file next to wercker.yml: for every step fetched from a step source or a URL, what
 * it resolved to, so later runs fetch exactly that (and work offline from the step cache once
 * fetched). `werker steps update` resolves afresh. docs/wercker-compat.md §7.2 (werker).
 */
export const LOCK_FILE = 'wercker-steps.lock';

export interface LockEntry {
  /** The repository URL (git) or the tarball URL (tarball / registry). */
  source: string;
  /** git: the tag or branch the version named when it was resolved, for people reading the file. */
  ref?: string;
  /** git: the commit. */
  commit?: string;
  /** tarball: the sha256 of the download. */
  sha256?: string;
}

export interface LockFile {
  file: string;
  entries: Map<string, LockEntry>;
  /** Whether entries changed since reading (write() only then). */
  changed: boolean;
}

export const lockPath = (werckerYml: string): string => path.join(path.dirname(werckerYml), LOCK_FILE);

/** The key of a step in the lock: `owner/name@version`, plus ` "URL"` when the id gave one. */
export const lockKey = (step: { owner: string; name: string; version: string; url?: string | undefined }): string =>
  `${step.owner}/${step.name}@${step.version}${step.url ? ` "${step.url}"` : ''}`;

export function readLock(file: string): LockFile {
  const entries = new Map<string, LockEntry>();
  if (!existsSync(file)) return { file, entries, changed: false };
  let doc: { steps?: Record<string, LockEntry> };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
  } catch (err) {
    throw new UsageError(`${file} is not a werker lock file: ${(err as Error).message}`, { hint: `remove it and run \`werker steps update\` to write it again` });
  }
  for (const [key, entry] of Object.entries(doc.steps ?? {})) {
    if (entry && typeof entry.source === 'string') entries.set(key, entry);
  }
  return { file, entries, changed: false };
}

/** Writes the lock (sorted, so diffs stay small) through a temporary file renamed into place. */
export async function writeLock(lock: LockFile): Promise<void> {
  const steps = Object.fromEntries([...lock.entries.entries()].sort(([a], [b]) => a.localeCompare(b)));
  const text = JSON.stringify({ comment: 'written by werker: the exact commit of every fetched step; `werker steps update` refreshes it', version: 1, steps }, null, 2) + '\n';
  const tmp = `${lock.file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, lock.file);
    lock.changed = false;
  } finally {
    await rm(tmp, { force: true });
  }
}
