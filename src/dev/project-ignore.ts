import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ignore from 'ignore';

/**
 * What a reload watch skips (docs/wercker-compat.md §6.6, as wercker's watcher): directories named
 * `.*` or `_*` (`.git`, `__pycache__`), files named `.*` (editor swap files) or ending in `~`
 * (backups), the working dir when it sits in the project (werker writes its logs there), and the
 * patterns of the ignore file (`.werckerignore`) and of `.gitignore` (build output,
 * `node_modules`). Paths are relative to the project, `/`-separated.
 */
export function projectIgnore(projectDir: string, opts: { workingDir: string; ignoreFile: string }): (rel: string, isDir: boolean) => boolean {
  const rules = ignore();
  for (const file of new Set([path.resolve(projectDir, opts.ignoreFile), path.join(projectDir, '.gitignore')])) {
    if (existsSync(file)) rules.add(readFileSync(file, 'utf8'));
  }
  const working = path.relative(path.resolve(projectDir), path.resolve(opts.workingDir)).split(path.sep).join('/');
  const workingInside = working !== '' && !working.startsWith('..') && !path.isAbsolute(working);
  return (rel, isDir) => {
    const parts = rel.split('/');
    const name = parts.at(-1)!;
    if (parts.slice(0, -1).some((d) => d.startsWith('.') || d.startsWith('_'))) return true;
    if (name.startsWith('.') || (isDir && name.startsWith('_')) || name.endsWith('~')) return true;
    if (workingInside && (rel === working || rel.startsWith(`${working}/`))) return true;
    return rules.ignores(isDir ? `${rel}/` : rel);
  };
}
