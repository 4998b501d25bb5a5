import { execFile } from 'node:child_process';

export interface GitInfo {
  branch: string;
  commit: string;
  tag: string;
}

const git = (cwd: string, args: string[]): Promise<string> =>
  new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 10_000 }, (err, stdout) => resolve(err ? '' : stdout.trim()));
  });

/** Branch, commit and tag of a checkout (docs/wercker-compat.md §3.2); all "" outside a git repository. */
export async function readGitInfo(dir: string): Promise<GitInfo> {
  const [branch, commit, tags] = await Promise.all([
    git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']),
    git(dir, ['rev-parse', 'HEAD']),
    git(dir, ['tag', '--points-at', 'HEAD']),
  ]);
  return { branch: branch === 'HEAD' ? '' : branch, commit, tag: tags.split('\n').filter(Boolean).at(-1) ?? '' };
}
