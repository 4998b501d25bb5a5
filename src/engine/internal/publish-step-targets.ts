import { existsSync } from 'node:fs';
import { chmod, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { installAtomically } from '../../steps/cache.ts';
import { git } from '../../steps/git-fetch.ts';
import { expandTemplate, type StepSource } from '../../steps/sources.ts';

export interface Publication {
  owner: string;
  name: string;
  version: string;
  /** Host directory holding the package (step.yml, run.sh, …). */
  dir: string;
  token?: string;
  private: boolean;
}

/**
 * A directory source's layout (steps/fetch.ts reads it): `<dir>/<owner>/<name>/<version>/`,
 * written through a temporary directory so a reader never sees half a package. `private`: only
 * the publishing user may read it (mode 0700). A version already there is not replaced.
 */
export async function publishToDir(root: string, p: Publication): Promise<string> {
  const target = path.join(root, p.owner, p.name, p.version);
  if (existsSync(target)) throw new Error(`${p.owner}/${p.name}@${p.version} is already in ${root}; publish a new version (step.yml version:)`);
  await installAtomically(target, (tmp) => cp(p.dir, tmp, { recursive: true, filter: (src) => path.basename(src) !== '.git' }));
  if (p.private) await chmod(target, 0o700);
  return target;
}

/** git over HTTPS with a token, as forges take it, sent as a header from the environment (never on a command line). */
function tokenEnv(token: string | undefined): Record<string, string> {
  if (!token) return {};
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` };
}

const IDENTITY = { GIT_AUTHOR_NAME: 'werker publish-step', GIT_AUTHOR_EMAIL: 'publish-step@werker.invalid', GIT_COMMITTER_NAME: 'werker publish-step', GIT_COMMITTER_EMAIL: 'publish-step@werker.invalid' };

/**
 * A git source: the repository the source's template names for the step (it must exist on the
 * server; werker does not create repositories) gets a commit holding exactly the package, on its
 * default branch, and the tag `v<version>`; both are pushed. A tag already there is refused.
 */
export async function publishToGit(template: string, p: Publication): Promise<string> {
  const url = expandTemplate(template, p.owner, p.name);
  const env = { ...tokenEnv(p.token), ...IDENTITY };
  const work = await mkdtemp(path.join(tmpdir(), 'werker-publish-'));
  try {
    await git(['clone', '--quiet', url, work], { env });
    const tag = `v${p.version}`;
    if ((await git(['tag', '--list', tag], { cwd: work })).trim()) throw new Error(`${url} already has the tag ${tag}; publish a new version (step.yml version:)`);
    for (const entry of await readdir(work)) if (entry !== '.git') await rm(path.join(work, entry), { recursive: true, force: true });
    await cp(p.dir, work, { recursive: true, filter: (src) => path.basename(src) !== '.git' });
    const branch = (await git(['symbolic-ref', '--short', 'HEAD'], { cwd: work })).trim() || 'main';
    await git(['add', '--all'], { cwd: work });
    await git(['commit', '--quiet', '--allow-empty', '-m', `${p.name} ${p.version}`], { cwd: work, env });
    await git(['tag', tag], { cwd: work });
    await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`, `refs/tags/${tag}`], { cwd: work, env });
    return `${url} (tag ${tag})`;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function publishTo(source: StepSource, p: Publication): Promise<string> {
  if (source.kind === 'dir') return publishToDir(source.dir, p);
  if (source.kind === 'git') return publishToGit(source.template, p);
  throw new Error(`cannot publish to registry:${source.url}: werker publishes to git and directory step sources only`);
}
