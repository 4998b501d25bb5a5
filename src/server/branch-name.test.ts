import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assertBranchName, branchNameProblem } from './branch-name.ts';

const NAMES = [
  'main', 'feature/x', 'release-1.2', 'x$(id)', 'a`b', "a'b", 'a"b', 'ünïcode', '@x', 'x@', 'a;b', 'refs/heads/x', 'a.b', 'v1.lockx',
  'x\n$(id)', 'a b', 'a\tb', 'a\x7fb', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[b', 'a\\b', '-x', 'HEAD', 'a..b', 'a@{1}', '/a', 'a/', 'a//b', 'a.',
  '.a', 'a/.b', 'a.lock', 'a/b.lock/c', '',
];

function gitAccepts(name: string): boolean {
  try {
    execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('branchNameProblem', () => {
  it.each(NAMES)('agrees with `git check-ref-format --branch` on %j', (name) => {
    expect(branchNameProblem(name) === undefined).toBe(gitAccepts(name));
  });

  it('refuses "@" (git reads it as HEAD) and names over 255 bytes', () => {
    expect(branchNameProblem('@')).toMatch(/names a commit/);
    expect(branchNameProblem('a'.repeat(256))).toMatch(/255 bytes/);
  });

  it('says which rule a name breaks, as a 400', () => {
    expect(() => assertBranchName('x\n$(id)')).toThrow('"x\\n$(id)" is not a valid branch name (git check-ref-format): it holds a space, a control character');
  });
});
