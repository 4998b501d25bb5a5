import { InputError } from './context.ts';

/**
 * Why `name` is no valid branch name, or undefined when it is one: the rules of
 * `git check-ref-format --branch` (checked against git in branch-name.test.ts), plus a length
 * cap. Every branch that comes from a request (API, web form, webhook ref, `werker remote`)
 * passes here before anything is queued, so a newline, a space or a control character never
 * reaches a run. What git allows (`$`, quotes, backquotes) is allowed: runs get the branch
 * literally (docs/wercker-compat.md §3.6).
 */
export function branchNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (Buffer.byteLength(name) > 255) return 'it is longer than 255 bytes';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'it holds a space, a control character (a newline, a tab) or one of ~ ^ : ? * [ \\';
  if (name.startsWith('-')) return 'it starts with "-"';
  if (name === 'HEAD' || name === '@') return `"${name}" names a commit, not a branch`;
  if (name.includes('..')) return 'it holds ".."';
  if (name.includes('@{')) return 'it holds "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'it starts or ends with "/" or holds "//"';
  if (name.endsWith('.')) return 'it ends with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return 'a part of it starts with "."';
    if (part.endsWith('.lock')) return 'a part of it ends with ".lock"';
  }
  return undefined;
}

/** Throws an InputError (400) naming the rule when `name` is no valid branch name. */
export function assertBranchName(name: string, what = 'branch'): string {
  const problem = branchNameProblem(name);
  if (problem) throw new InputError(`${JSON.stringify(name)} is not a valid ${what} name (git check-ref-format): ${problem}`);
  return name;
}
