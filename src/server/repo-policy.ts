import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from './context.ts';

/**
 * Which repositories the server reads (`--allow-local-repos DIR`, repeatable): git URLs
 * (https, http, ssh, git, `user@host:path`) always; a local path (or file:// URL) only inside a
 * directory the operator allowed, so a user can't make the server read its own data dir or any
 * other repository on its disk. Paths are compared after resolving symlinks.
 */
export function checkRepository(repository: string, allowLocal: readonly string[]): void {
  const local = localPath(repository);
  if (local === undefined) return;
  const real = realOrSelf(local);
  if (allowLocal.some((dir) => isInside(real, realOrSelf(path.resolve(dir))))) return;
  throw new InputError(allowLocal.length
    ? `${repository} is not inside a directory this server takes local repositories from (${allowLocal.join(', ')}); use a git URL`
    : 'this server takes no local-path repositories: use a git URL (the operator may allow a directory with `werker server --allow-local-repos DIR`)');
}

/** The local path a repository names, or undefined for a network URL. */
function localPath(repository: string): string | undefined {
  if (path.isAbsolute(repository)) return path.resolve(repository);
  if (/^file:/i.test(repository)) {
    try {
      return fileURLToPath(repository);
    } catch {
      throw new InputError(`"${repository}" is not a file:// URL of a local path`);
    }
  }
  return undefined;
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function isInside(child: string, dir: string): boolean {
  const rel = path.relative(dir, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
