import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import tar from 'tar-fs';
import type { StepSpec } from '../config/schema.ts';
import { readManifest, type StepManifest } from './manifest.ts';

/** werker's own step packages: `steps/<name>/` at the root of the installed package. */
export const BUILTIN_STEPS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../steps');

export interface ResolvedPackage {
  dir: string;
  manifest: StepManifest;
  /** Which of init.sh / run.sh the package has (a step with neither simply passes). */
  scripts: { init: boolean; run: boolean };
  /** Where it came from: `built-in`, `cache`, `file`, `git`, `tarball`. */
  source: string;
}

export type PackageLookup = (step: StepSpec) => ResolvedPackage | string;

/**
 * Finds the package of every registry step before anything runs (spec §7.2, werker's order):
 * an explicit `name "URL"` (a directory via file://, a git repository, or a .tar.gz), then the
 * working dir's step cache (`<wd>/steps/<owner>-<name>[@<version>]`, used offline once there),
 * then werker's built-in packages for the owners that share their contract. Returns a lookup
 * giving the package, or a message saying how to provide it.
 */
export async function resolveStepPackages(steps: StepSpec[], ctx: { projectDir: string; workingDir: string; builtinDir?: string }): Promise<PackageLookup> {
  const found = new Map<string, ResolvedPackage | string>();
  for (const step of steps) {
    if (step.kind !== 'registry' || step.problem || found.has(step.id)) continue;
    found.set(step.id, await resolveOne(step, ctx).catch((err: Error) => `could not fetch step "${step.id}": ${err.message}`));
  }
  return (step) => found.get(step.id) ?? `step "${step.id}" was not resolved`;
}

async function pkg(dir: string, name: string, source: string): Promise<ResolvedPackage> {
  return {
    dir, source, manifest: await readManifest(dir, name),
    scripts: { init: existsSync(path.join(dir, 'init.sh')), run: existsSync(path.join(dir, 'run.sh')) },
  };
}

async function resolveOne(step: StepSpec, ctx: { projectDir: string; workingDir: string; builtinDir?: string }): Promise<ResolvedPackage | string> {
  const cacheKey = `${step.owner}-${step.name}${step.version === '*' ? '' : `@${step.version}`}`;
  const cacheDir = path.resolve(ctx.workingDir, 'steps', cacheKey);
  if (step.url?.startsWith('file://') || step.url?.startsWith('./') || step.url?.startsWith('/')) {
    const dir = path.resolve(ctx.projectDir, step.url.replace(/^file:\/\//, ''));
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) return `the step directory ${dir} does not exist`;
    return pkg(dir, step.name, 'file');
  }
  if (existsSync(cacheDir)) return pkg(cacheDir, step.name, 'cache');
  if (step.url) {
    await fetchInto(step.url, step.version, cacheDir);
    return pkg(cacheDir, step.name, isGit(step.url) ? 'git' : 'tarball');
  }
  const builtin = path.join(ctx.builtinDir ?? BUILTIN_STEPS_DIR, step.name);
  if (existsSync(builtin)) {
    const manifest = await readManifest(builtin, step.name);
    if (manifest.owners.includes(step.owner)) return pkg(builtin, step.name, 'built-in');
    return `werker's built-in "${step.name}" is for ${manifest.owners.map((o) => `${o}/${step.name}`).join(', ')}, not ${step.owner}/${step.name}, whose contract may differ; ` +
      `use "${step.name}" (or wercker/${step.name}) to take the built-in, or give its package: ${step.owner}/${step.name} "https://…/step.git"`;
  }
  return `the step "${step.id}" is not available: wercker's step registry is gone and werker has no built-in "${step.name}". ` +
    `Give its package as ${step.name} "file://path/to/dir" or ${step.name} "https://host/owner/step-${step.name}.git", or put it in ${path.relative(process.cwd(), cacheDir) || cacheDir}`;
}

const isGit = (url: string): boolean => /\.git(#.*)?$/.test(url) || url.startsWith('git+') || url.startsWith('git@') || url.startsWith('git://');

/** Fetches a git repository (at `#ref`, else the version, else v<version>) or a .tar.gz into `dir`. */
async function fetchInto(url: string, version: string, dir: string): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  try {
    if (isGit(url)) {
      const [repo, ref] = url.replace(/^git\+/, '').split('#') as [string, string | undefined];
      const refs = ref ? [ref] : version === '*' ? [undefined] : [version, `v${version}`];
      let lastError: Error | undefined;
      for (const r of refs) {
        try {
          await git(['clone', '--quiet', '--depth', '1', ...(r ? ['--branch', r] : []), repo, tmp]);
          lastError = undefined;
          break;
        } catch (err) {
          lastError = err as Error;
          await rm(tmp, { recursive: true, force: true });
        }
      }
      if (lastError) throw lastError;
      await rm(path.join(tmp, '.git'), { recursive: true, force: true });
    } else {
      const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
      if (!res.ok || !res.body) throw new Error(`GET ${url}: ${res.status}`);
      await mkdir(tmp, { recursive: true });
      await pipeline(Readable.fromWeb(res.body as never), createGunzip(), tar.extract(tmp) as unknown as NodeJS.WritableStream);
    }
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function git(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { timeout: 120_000 }, (err, _out, stderr) => (err ? reject(new Error(stderr.trim().split('\n').at(-1) || err.message)) : resolve()));
  });
}
