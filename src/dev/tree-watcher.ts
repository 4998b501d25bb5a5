import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface TreeWatcherOptions {
  /** True for a path (relative, `/`-separated) that must neither be watched nor reported. */
  ignored(rel: string, isDir: boolean): boolean;
  /** A file or directory under the root was created, written, renamed or removed. */
  onChange(rel: string): void;
}

/**
 * Watches a directory tree with one inotify watch per directory that is not ignored. Node's
 * `fs.watch(dir, { recursive: true })` also works on Linux since Node 20, but it watches every
 * directory — `.git`, `node_modules`, the working dir — and only filters afterwards; a big
 * project then costs thousands of watches and a slow start. New directories are walked and
 * watched as they appear; a removed one's watch goes with it.
 */
export class TreeWatcher {
  readonly #root: string;
  readonly #opts: TreeWatcherOptions;
  readonly #watchers = new Map<string, FSWatcher>();
  #closed = false;

  constructor(root: string, opts: TreeWatcherOptions) {
    this.#root = path.resolve(root);
    this.#opts = opts;
  }

  /** Resolves once every directory present now is watched. */
  async start(): Promise<void> {
    await this.#add('');
  }

  /** How many directories are watched. */
  get size(): number {
    return this.#watchers.size;
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }

  async #add(relDir: string): Promise<void> {
    if (this.#closed || this.#watchers.has(relDir)) return;
    const abs = path.join(this.#root, relDir);
    let watcher: FSWatcher;
    try {
      watcher = watch(abs, { persistent: false }, (_event, name) => {
        if (name) this.#event(relDir ? `${relDir}/${name}` : String(name));
      });
    } catch {
      return; // gone already, or unreadable: nothing to watch
    }
    watcher.on('error', () => this.#drop(relDir));
    this.#watchers.set(relDir, watcher);
    const entries = await readdir(abs, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.isDirectory() && !this.#opts.ignored(rel, true)) await this.#add(rel);
    }
  }

  #event(rel: string): void {
    if (this.#closed) return;
    void stat(path.join(this.#root, rel)).then(
      (s) => {
        if (this.#opts.ignored(rel, s.isDirectory())) return;
        if (s.isDirectory()) void this.#add(rel);
        this.#opts.onChange(rel);
      },
      () => {
        // Removed (or renamed away): report it unless it was ignored, and forget its watches.
        if (this.#opts.ignored(rel, this.#watchers.has(rel))) return;
        for (const dir of [...this.#watchers.keys()]) if (dir === rel || dir.startsWith(`${rel}/`)) this.#drop(dir);
        this.#opts.onChange(rel);
      },
    );
  }

  #drop(relDir: string): void {
    this.#watchers.get(relDir)?.close();
    this.#watchers.delete(relDir);
  }
}
