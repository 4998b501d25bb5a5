import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding werker's package.json: the repository root when running from src/
 * (through tsx), the installed package when running the bundle from dist/ (its chunks sit one
 * or two levels down, and which one depends on how esbuild split the code). Files shipped beside
 * the code, such as the built-in steps/, are found from here either way.
 */
export function packageDir(moduleUrl: string = import.meta.url): string {
  const start = path.dirname(fileURLToPath(moduleUrl));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}: werker's files are incomplete; reinstall it`);
  }
}
