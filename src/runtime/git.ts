import { execFile } from 'node:child_process';

export interface GitInfo {
  branch: string;
  commit: string;
  tag: string;
}

const gitOutput = (cwd: string, args: string[]): Promise<string> =>
  new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 10_000 }, (err, stdout) => resolve(err ? '' : stdout.trim()));
  });

/** Branch, commit and tag of a checkout (docs/wercker-compat.md §3.2); all "" outside a git repository. */
export async function readGitInfo(dir: string): Promise<GitInfo> {
  const [branch, commit, tags] = await Promise.all([
    gitOutput(dir, ['rev-parse', '--abbrev-ref', 'HEAD']),
    gitOutput(dir, ['rev-parse', 'HEAD']),
    gitOutput(dir, ['tag', '--points-at', 'HEAD']),
  ]);
  return { branch: branch === 'HEAD' ? '' : branch, commit, tag: tags.split('\n').filter(Boolean).at(-1) ?? '' };
}

/** Runs git; rejects with git's own message (its last stderr line). */
export function git(args: string[], cwd?: string, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    // Only the transports werker takes: never ext:: (runs a command) or fd::.
    execFile('git', args, { cwd, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh' } }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const line = stderr.trim().split('\n').filter(Boolean).at(-1) ?? err.message;
      reject(new Error(line));
    });
  });
}
