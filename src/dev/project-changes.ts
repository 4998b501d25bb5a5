import { ChangeFeed } from './change-feed.ts';
import { projectIgnore } from './project-ignore.ts';
import { TreeWatcher } from './tree-watcher.ts';

/** Quiet time that ends a burst of saves. wercker waited 2 s; the dev loop's goal is a new response within 1.5 s of a save. */
export const RELOAD_QUIET_MS = 200;

export interface ProjectChanges {
  /** Resolves with the files (relative to the project) changed in the next burst. */
  next(): Promise<string[]>;
  /** How many directories are watched. */
  readonly directories: number;
  close(): void;
}

/**
 * Watches the host project for internal/watch's `reload: true` (docs/wercker-compat.md §6.6),
 * ignoring what projectIgnore skips.
 */
export async function watchProject(projectDir: string, opts: { workingDir: string; ignoreFile: string; quietMs?: number }): Promise<ProjectChanges> {
  const feed = new ChangeFeed(opts.quietMs ?? RELOAD_QUIET_MS);
  const watcher = new TreeWatcher(projectDir, { ignored: projectIgnore(projectDir, opts), onChange: (rel) => feed.push(rel) });
  await watcher.start();
  return {
    next: () => feed.next(),
    get directories() {
      return watcher.size;
    },
    close() {
      watcher.close();
      feed.close();
    },
  };
}
