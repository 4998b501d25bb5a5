import { existsSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { installAtomically } from './cache.ts';
import { checkoutCommit, listRefs, pickRef } from './git-fetch.ts';
import { LOCK_FILE, type LockEntry } from './lock.ts';
import { describeSource, expandTemplate, type StepSource } from './sources.ts';
import { downloadTarball, registryTarballUrl } from './tarball.ts';

/** A package fetched (or found in the step cache by what the lock says). */
export interface Fetched {
  dir: string;
  /** For `werker plan`. */
  describe: string;
  /** What to record in the lock (undefined: a local source, nothing to pin). */
  lock?: LockEntry;
}

/** An error carrying which source said it, for the list of what was tried. */
class SourceError extends Error {
  constructor(readonly where: string, message: string) {
    super(message);
  }
}

export const isGitUrl = (url: string): boolean => /\.git(#.*)?$/.test(url) || url.startsWith('git+') || url.startsWith('git@') || url.startsWith('git://');

const byCommit = (stepsDir: string, commit: string): string => path.join(stepsDir, '.by-commit', commit);
const bySha256 = (stepsDir: string, sha: string): string => path.join(stepsDir, '.by-sha256', sha);
const short = (commit: string): string => commit.slice(0, 12);

/**
 * wercker's steps always carried a step.yml (docs/wercker-compat.md §7.1); a repository found by
 * a source's naming convention without one is some other project that shares the name, so it is
 * not taken (and not cached): the next source is tried.
 */
async function requireStepYml(dir: string): Promise<void> {
  if (!existsSync(path.join(dir, 'step.yml'))) {
    const legacy = existsSync(path.join(dir, 'wercker-step.yml')) ? ' (only the legacy wercker-step.yml, which wercker no longer read)' : '';
    throw new Error(`the repository has no step.yml${legacy}, so it is not a wercker step package`);
  }
}

/** One step source: the first place in it that has the step. Throws a SourceError saying what it found. */
export async function fetchFromSource(source: StepSource, step: { owner: string; name: string; version: string }, stepsDir: string): Promise<Fetched> {
  if (source.kind === 'dir') return fromDirSource(source.dir, step);
  if (source.kind === 'registry') {
    const where = `registry:${source.url}`;
    try {
      const { tarballUrl } = await registryTarballUrl(source.url, step.owner, step.name, step.version);
      const got = await installTarball(tarballUrl, stepsDir, true);
      return { ...got, describe: `registry ${tarballUrl}` };
    } catch (err) {
      throw new SourceError(where, (err as Error).message);
    }
  }
  const url = expandTemplate(source.template, step.owner, step.name);
  try {
    return await fetchGitVersion(url, undefined, step.version, stepsDir, true);
  } catch (err) {
    throw new SourceError(url, (err as Error).message);
  }
}

/** A step whose id gives its URL: a git repository (`#ref` optional) or a .tar.gz. */
export async function fetchGiven(url: string, version: string, stepsDir: string): Promise<Fetched> {
  if (!isGitUrl(url)) return installTarball(url, stepsDir, false);
  const [repo, ref] = url.replace(/^git\+/, '').split('#') as [string, string | undefined];
  return fetchGitVersion(repo, ref, version, stepsDir, false);
}

async function fetchGitVersion(url: string, ref: string | undefined, version: string, stepsDir: string, manifestRequired: boolean): Promise<Fetched> {
  const refs = await listRefs(url);
  const picked = ref ? pickNamedRef(refs, ref) : pickRef(refs, version);
  const dir = byCommit(stepsDir, picked.commit);
  if (!existsSync(dir)) await installAtomically(dir, (tmp) => checkoutCommit(url, picked.commit, tmp), manifestRequired ? requireStepYml : undefined);
  else if (manifestRequired) await requireStepYml(dir);
  const named = picked.ref === 'HEAD' ? 'default branch' : `tag ${picked.ref}`;
  return { dir, describe: `git ${url}@${short(picked.commit)} (${named})`, lock: { source: url, ref: picked.ref, commit: picked.commit } };
}

function pickNamedRef(refs: Map<string, string>, ref: string): { ref: string; commit: string } {
  const commit = refs.get(`refs/tags/${ref}`) ?? refs.get(`refs/heads/${ref}`) ?? (/^[0-9a-f]{40}$/.test(ref) ? ref : undefined);
  if (!commit) throw new Error(`no tag or branch "${ref}"`);
  return { ref, commit };
}

/** Exactly what the lock says: from the step cache, else fetched again (a commit, or a tarball checked by its sha256). */
export async function fetchLocked(entry: LockEntry, stepsDir: string, opts: { offline?: boolean | undefined; requireManifest: boolean }): Promise<Fetched> {
  const next = `run \`werker steps update\` to lock what the version names now`;
  if (entry.commit) {
    const dir = byCommit(stepsDir, entry.commit);
    const describe = `lock ${entry.source}@${short(entry.commit)}`;
    if (existsSync(dir)) return { dir, describe, lock: entry };
    if (opts.offline) throw new Error(`locked commit ${short(entry.commit)} of ${entry.source} is not in the step cache (offline)`);
    try {
      await installAtomically(dir, (tmp) => checkoutCommit(entry.source, entry.commit!, tmp), opts.requireManifest ? requireStepYml : undefined);
    } catch (err) {
      throw new Error(`${LOCK_FILE} pins ${entry.source} at ${entry.commit}: ${(err as Error).message}; ${next}`);
    }
    return { dir, describe, lock: entry };
  }
  if (entry.sha256) {
    const dir = bySha256(stepsDir, entry.sha256);
    if (existsSync(dir)) return { dir, describe: `lock ${entry.source} (sha256 ${short(entry.sha256)})`, lock: entry };
    if (opts.offline) throw new Error(`the locked tarball ${entry.source} is not in the step cache (offline)`);
    const got = await installTarball(entry.source, stepsDir, opts.requireManifest, entry.sha256);
    return { ...got, describe: `lock ${entry.source} (sha256 ${short(entry.sha256)})` };
  }
  throw new Error(`${LOCK_FILE}: the entry for ${entry.source} has neither commit nor sha256; ${next}`);
}

/** Downloads and unpacks a tarball into the cache by its sha256 (temp dir, renamed when whole). */
async function installTarball(url: string, stepsDir: string, manifestRequired: boolean, expectSha?: string): Promise<Fetched> {
  const tmp = path.join(stepsDir, `.tmp-tarball-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    const sha = await downloadTarball(url, tmp);
    if (expectSha && sha !== expectSha) {
      throw new Error(`${LOCK_FILE} pins ${url} at sha256 ${short(expectSha)}, but it now has ${short(sha)}; run \`werker steps update\` to take the new one`);
    }
    const root = packageRoot(tmp);
    if (manifestRequired) await requireStepYml(root);
    const dir = bySha256(stepsDir, sha);
    if (!existsSync(dir)) {
      await installAtomically(dir, (t) => rename(root, t));
    }
    return { dir, describe: `tarball ${url}`, lock: { source: url, sha256: sha } };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A tarball holding one top directory (as GitHub's archives do) has its package inside it. */
function packageRoot(dir: string): string {
  const entries = readdirSync(dir, { withFileTypes: true });
  if (entries.length === 1 && entries[0]!.isDirectory() && !existsSync(path.join(dir, 'step.yml'))) return path.join(dir, entries[0]!.name);
  return dir;
}

/**
 * A directory source (offline machines, and what internal/publish-step writes):
 * `<dir>/<owner>/<name>/<version>/` (also `v<version>`; `*` the highest version there), or the
 * step cache's own layout `<dir>/<owner>-<name>[@<version>]/`.
 */
async function fromDirSource(root: string, step: { owner: string; name: string; version: string }): Promise<Fetched> {
  const where = describeSource({ kind: 'dir', dir: root });
  if (!existsSync(root)) throw new SourceError(where, 'the directory does not exist');
  const stepDir = path.join(root, step.owner, step.name);
  const candidates = step.version === '*'
    ? [...versionsIn(stepDir).map((v) => path.join(stepDir, v)), path.join(root, `${step.owner}-${step.name}`)]
    : [path.join(stepDir, step.version), path.join(stepDir, `v${step.version}`), path.join(root, `${step.owner}-${step.name}@${step.version}`)];
  const dir = candidates.find((c) => existsSync(path.join(c, 'step.yml')));
  if (!dir) {
    const have = versionsIn(stepDir);
    throw new SourceError(where, `no ${step.owner}/${step.name}${step.version === '*' ? '' : `@${step.version}`} with a step.yml${have.length ? ` (versions there: ${have.join(', ')})` : ''}`);
  }
  return { dir, describe: `dir ${dir}` };
}

/** Version directories, highest first (numeric parts compared as numbers). */
function versionsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const parts = (v: string) => v.replace(/^v/, '').split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort((a, b) => {
    const [pa, pb] = [parts(a), parts(b)];
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const [x, y] = [pa[i] ?? -1, pb[i] ?? -1];
      if (x !== y) return typeof x === 'number' && typeof y === 'number' ? y - x : String(y).localeCompare(String(x));
    }
    return 0;
  });
}
