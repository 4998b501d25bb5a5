import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TreeWatcher } from './tree-watcher.ts';

const dirs: string[] = [];
const watchers: TreeWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what}: not within 2 s`);
}

describe('TreeWatcher', () => {
  it('reports writes in sub-directories, and in directories made after it started, but not in ignored ones', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'werker-watch-'));
    dirs.push(root);
    mkdirSync(path.join(root, 'src/lib'), { recursive: true });
    mkdirSync(path.join(root, '.git/objects'), { recursive: true });
    const seen: string[] = [];
    const watcher = new TreeWatcher(root, { ignored: (rel) => rel.split('/').some((p) => p.startsWith('.')), onChange: (rel) => seen.push(rel) });
    watchers.push(watcher);
    await watcher.start();
    expect(watcher.size).toBe(3); // root, src, src/lib: not .git or .git/objects
    writeFileSync(path.join(root, 'src/lib/a.js'), 'a');
    writeFileSync(path.join(root, '.git/objects/x'), 'x');
    await until('the write in src/lib', () => seen.includes('src/lib/a.js'));
    mkdirSync(path.join(root, 'new'));
    await until('the new directory', () => seen.includes('new') && watcher.size === 4);
    writeFileSync(path.join(root, 'new/b.js'), 'b');
    await until('the write in the new directory', () => seen.includes('new/b.js'));
    expect(seen.filter((s) => s.startsWith('.git'))).toEqual([]);
  });
});
