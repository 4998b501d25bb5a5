import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { git } from '../runtime/git.ts';
import { InputError } from './context.ts';
import { checkRepository } from './repo-policy.ts';

/**
 * The server's bare mirror of each application's repository (`<data-dir>/repos/<id>.git`):
 * where it resolves branches to commits and reads wercker.yml at a commit. Runners clone the
 * repository themselves. Fetches of one mirror are serialised (git locks refs).
 */
export class RepoMirrors {
  readonly #chains = new Map<number, Promise<unknown>>();

  /** `allowLocal`: the directories local-path repositories may be in (repo-policy.ts). */
  constructor(readonly dir: string, readonly allowLocal: readonly string[] = []) {}

  path(appId: number): string {
    return path.join(this.dir, `${appId}.git`);
  }

  /**
   * Clones or updates the mirror; a repository that can't be reached is the user's problem to
   * fix. The user sees one message whatever git said: git's own words (connection refused,
   * TLS, timeout…) would let anyone map the ports of the server's network; they go to the log.
   */
  async sync(appId: number, repository: string): Promise<void> {
    checkRepository(repository, this.allowLocal);
    await this.#serial(appId, async () => {
      const dir = this.path(appId);
      try {
        if (!existsSync(dir)) {
          await mkdir(this.dir, { recursive: true, mode: 0o700 });
          await git(['clone', '--mirror', '--quiet', '--', repository, dir]);
        } else {
          await git(['fetch', '--prune', '--quiet', 'origin'], dir);
        }
      } catch (err) {
        process.stderr.write(`werker server: fetching ${repository} for application ${appId} failed: ${(err as Error).message}\n`);
        throw new InputError(`could not read the repository ${repository}: check the URL, and that this server may read it (the server log has git's own message)`, 400);
      }
    });
  }

  async remove(appId: number): Promise<void> {
    await rm(this.path(appId), { recursive: true, force: true });
  }

  /** The repository's HEAD branch ("main" when it has none). */
  async headBranch(appId: number): Promise<string> {
    return (await git(['symbolic-ref', '--short', 'HEAD'], this.path(appId)).catch(() => 'main')).trim();
  }

  /** Full commit id of a branch (or a commit id); fetches when it is not known yet. */
  async resolve(appId: number, repository: string, ref: string): Promise<string | undefined> {
    const look = () => git(['rev-parse', '--verify', '--quiet', `${/^[0-9a-f]{7,40}$/.test(ref) ? ref : `refs/heads/${ref}`}^{commit}`], this.path(appId)).then((s) => s.trim(), () => undefined);
    if (/^[0-9a-f]{40}$/.test(ref)) {
      const known = await look();
      if (known) return known;
    }
    await this.sync(appId, repository);
    return look();
  }

  /** A file's size in bytes at a commit (read before the file itself), or undefined when there is no such file. */
  async fileSize(appId: number, commit: string, file: string): Promise<number | undefined> {
    return git(['cat-file', '-s', `${commit}:${file}`], this.path(appId)).then((s) => Number(s.trim()), () => undefined);
  }

  /** A file's text at a commit, or undefined when the commit has no such file. */
  async readFile(appId: number, commit: string, file: string): Promise<string | undefined> {
    return git(['show', `${commit}:${file}`], this.path(appId)).catch(() => undefined);
  }

  #serial<T>(appId: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(appId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.#chains.set(appId, next.catch(() => undefined));
    return next;
  }
}
