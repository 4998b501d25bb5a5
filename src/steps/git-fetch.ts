import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';

/** git with no prompts (a missing repository must fail, not ask for a password). */
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', SSH_ASKPASS: 'true', GCM_INTERACTIVE: 'never' };

/** git's own message, trimmed to its last meaningful lines (no hints, no progress). */
export function gitMessage(stderr: string, fallback: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('hint:'));
  const fatal = lines.filter((l) => /^(fatal|error|remote):/.test(l));
  return (fatal.length ? fatal : lines).slice(-2).join('; ') || fallback;
}

export function git(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, env: { ...process.env, ...GIT_ENV, ...opts.env }, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(gitMessage(stderr, err.message))) : resolve(stdout)));
  });
}

/**
 * Answers of `git ls-remote` in this process, failures included: a plan resolves each step once,
 * but a process planning many files (tests, the server) should not ask a dead host again per file.
 */
const refsAsked = new Map<string, Promise<Map<string, string>>>();

/** `git ls-remote URL`: ref name → commit (annotated tags peeled). */
export function listRefs(url: string): Promise<Map<string, string>> {
  let answer = refsAsked.get(url);
  if (!answer) {
    answer = lsRemote(url);
    refsAsked.set(url, answer);
    // Only for a short while: a long-lived process (the server) must see new tags.
    setTimeout(() => refsAsked.delete(url), 30_000).unref();
  }
  return answer;
}

async function lsRemote(url: string): Promise<Map<string, string>> {
  const out = await git(['ls-remote', '--symref', url], { timeoutMs: 60_000 });
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, ref] = line.split('\t');
    if (!sha || !ref || sha.startsWith('ref:')) continue;
    if (ref.endsWith('^{}')) refs.set(ref.slice(0, -3), sha);
    else if (!refs.has(ref)) refs.set(ref, sha);
  }
  return refs;
}

/**
 * The commit a version names (§7.2): `*` the default branch (HEAD), else the tag `<version>`,
 * else `v<version>`. Throws saying which tags exist when none matches.
 */
export function pickRef(refs: Map<string, string>, version: string): { ref: string; commit: string } {
  if (version === '*') {
    const head = refs.get('HEAD');
    if (!head) throw new Error('the repository has no default branch (empty repository?)');
    return { ref: 'HEAD', commit: head };
  }
  for (const tag of [version, `v${version}`]) {
    const commit = refs.get(`refs/tags/${tag}`);
    if (commit) return { ref: tag, commit };
  }
  const tags = [...refs.keys()].filter((r) => r.startsWith('refs/tags/')).map((r) => r.slice('refs/tags/'.length));
  throw new Error(`no tag ${version} or v${version} (tags: ${tags.length ? tags.slice(-8).join(', ') : 'none'})`);
}

/**
 * Fetches exactly `commit` of `url` and checks it out into `dir` (which must not exist), without
 * its .git. A shallow fetch of the commit first; servers that refuse one get a full fetch.
 * Throws "commit … is not in URL" when the repository no longer has it.
 */
export async function checkoutCommit(url: string, commit: string, dir: string): Promise<void> {
  await git(['init', '--quiet', dir]);
  const inRepo = { cwd: dir };
  try {
    await git(['fetch', '--quiet', '--depth', '1', url, commit], inRepo);
  } catch (shallowErr) {
    try {
      await git(['fetch', '--quiet', url, '+refs/*:refs/remotes/all/*'], inRepo);
    } catch {
      throw shallowErr;
    }
    const found = await git(['cat-file', '-t', commit], inRepo).catch(() => '');
    if (found.trim() !== 'commit') throw new Error(`commit ${commit} is not in ${url} any more (force-pushed or deleted?)`);
  }
  await git(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', commit], inRepo);
  await rm(path.join(dir, '.git'), { recursive: true, force: true });
}
