import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A real git repository in a temp dir with the given files committed on `main`. */
export function tempGitRepo(files: Record<string, string>, prefix = 'werker-repo'): { dir: string; commit(files: Record<string, string>, message?: string): string; head(): string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'werker test', GIT_AUTHOR_EMAIL: 'test@werker.invalid', GIT_COMMITTER_NAME: 'werker test', GIT_COMMITTER_EMAIL: 'test@werker.invalid' } }).trim();
  git('init', '--quiet', '--initial-branch=main');
  const commit = (more: Record<string, string>, message = 'change') => {
    for (const [name, text] of Object.entries(more)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    git('add', '-A');
    git('commit', '--quiet', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  commit(files, 'first');
  return { dir, commit, head: () => git('rev-parse', 'HEAD'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
