import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { StepSpec } from '../config/schema.ts';
import { readManifest, type StepManifest } from './manifest.ts';
import { lockKey, writeLock, type LockEntry, type LockFile } from './lock.ts';
import { fetchFromSource, fetchGiven, fetchLocked, type Fetched } from './fetch.ts';
import { describeSource, githubConventions, type StepSource } from './sources.ts';
import { packageDir } from '../util/package-dir.ts';

/** werker's own step packages: `steps/<name>/` at the root of the installed package. */
export const BUILTIN_STEPS_DIR = path.join(packageDir(), 'steps');

export interface ResolvedPackage {
  dir: string;
  manifest: StepManifest;
  /** Which of init.sh / run.sh the package has (a step with neither simply passes). */
  scripts: { init: boolean; run: boolean };
  /**
   * Where it came from, for `werker plan`: `built-in DIR`, `cache DIR`, `file DIR`, `dir DIR`,
   * `git URL@COMMIT (tag T)`, `lock URL@COMMIT`, `tarball URL`, `registry URL`, or, offline,
   * `url URL (not fetched: offline)`.
   */
  source: string;
}

export type PackageLookup = (step: StepSpec) => ResolvedPackage | string;

export interface ResolveContext {
  projectDir: string;
  workingDir: string;
  builtinDir?: string;
  /** The ordered step sources (sources.ts stepSources); default the GitHub conventions. */
  sources?: StepSource[];
  /** The project's lock file; without one nothing is pinned or recorded. */
  lock?: LockFile;
  /** Resolve afresh, ignoring (and then replacing) the lock's entries (`werker steps update`). */
  refresh?: boolean;
  /** false: record into `lock` but leave writing it to the caller (`werker steps update`). */
  saveLock?: boolean;
  /** No network: git and registry sources are skipped, URL steps are counted as given, not fetched. */
  offline?: boolean;
}

/**
 * Finds the package of every registry step before anything runs (docs/wercker-compat.md §7.2,
 * werker's order): an explicit `name "URL"` (a directory via file://, a git repository, or a
 * .tar.gz), then the working dir's step cache (`<wd>/steps/<owner>-<name>[@<version>]`, used
 * forever once there), then werker's built-in packages for the owners that share their contract,
 * then the lock file's entry, then the step sources in order. Fetched steps go into the lock
 * (written once, at the end). Returns a lookup giving the package, or a message saying what was
 * tried and how to provide it.
 */
export async function resolveStepPackages(steps: StepSpec[], ctx: ResolveContext): Promise<PackageLookup> {
  const found = new Map<string, ResolvedPackage | string>();
  for (const step of steps) {
    if (step.kind !== 'registry' || step.problem || found.has(step.id)) continue;
    found.set(step.id, await resolveOne(step, ctx).catch((err: Error) => `could not fetch step "${step.id}": ${err.message}`));
  }
  if (ctx.lock?.changed && !ctx.offline && ctx.saveLock !== false) await writeLock(ctx.lock);
  return (step) => found.get(step.id) ?? `step "${step.id}" was not resolved`;
}

async function pkg(dir: string, name: string, source: string): Promise<ResolvedPackage> {
  return {
    dir, source, manifest: await readManifest(dir, name),
    scripts: { init: existsSync(path.join(dir, 'init.sh')), run: existsSync(path.join(dir, 'run.sh')) },
  };
}

const isLocalUrl = (url: string): boolean => url.startsWith('file://') || url.startsWith('./') || url.startsWith('/');
const stepsDir = (ctx: ResolveContext): string => path.resolve(ctx.workingDir, 'steps');

async function resolveOne(step: StepSpec, ctx: ResolveContext): Promise<ResolvedPackage | string> {
  const cacheKey = `${step.owner}-${step.name}${step.version === '*' ? '' : `@${step.version}`}`;
  const cacheDir = path.join(stepsDir(ctx), cacheKey);
  if (step.url && isLocalUrl(step.url)) {
    const dir = path.resolve(ctx.projectDir, step.url.replace(/^file:\/\//, ''));
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) return `the step directory ${dir} does not exist`;
    return pkg(dir, step.name, `file ${dir}`);
  }
  if (existsSync(cacheDir)) return pkg(cacheDir, step.name, `cache ${cacheDir}`);
  const locked = ctx.refresh ? undefined : ctx.lock?.entries.get(lockKey(step));
  if (step.url) {
    if (locked) return fromFetched(step, ctx, await fetchLocked(locked, stepsDir(ctx), { offline: ctx.offline, requireManifest: false }));
    if (ctx.offline) return { dir: '', manifest: await readManifest('/nonexistent', step.name), scripts: { init: false, run: false }, source: `url ${step.url} (not fetched: offline)` };
    return fromFetched(step, ctx, await fetchGiven(step.url, step.version, stepsDir(ctx)));
  }
  const builtin = path.join(ctx.builtinDir ?? BUILTIN_STEPS_DIR, step.name);
  let builtinNote: string | undefined;
  if (existsSync(builtin)) {
    const manifest = await readManifest(builtin, step.name);
    if (manifest.owners.includes(step.owner)) return pkg(builtin, step.name, `built-in ${path.relative(path.dirname(ctx.builtinDir ?? BUILTIN_STEPS_DIR), builtin)}`);
    builtinNote = `werker's built-in "${step.name}" is for ${manifest.owners.map((o) => `${o}/${step.name}`).join(', ')}, not ${step.owner}/${step.name}, whose contract may differ; ` +
      `use "${step.name}" (or wercker/${step.name}) to take the built-in`;
  }
  if (locked) return fromFetched(step, ctx, await fetchLocked(locked, stepsDir(ctx), { offline: ctx.offline, requireManifest: true }));
  return fromSources(step, ctx, cacheDir, builtinNote);
}

async function fromFetched(step: StepSpec, ctx: ResolveContext, fetched: Fetched): Promise<ResolvedPackage> {
  if (fetched.lock && ctx.lock) {
    const key = lockKey(step);
    const before = ctx.lock.entries.get(key);
    if (JSON.stringify(before) !== JSON.stringify(fetched.lock)) {
      ctx.lock.entries.set(key, fetched.lock satisfies LockEntry);
      ctx.lock.changed = true;
    }
  }
  return pkg(fetched.dir, step.name, fetched.describe);
}

/** The sources in order; the first that has the step wins. Otherwise every source and what it said. */
async function fromSources(step: StepSpec, ctx: ResolveContext, cacheDir: string, builtinNote?: string): Promise<string | ResolvedPackage> {
  const sources = ctx.sources ?? githubConventions();
  const tried: string[] = [];
  for (const source of sources) {
    if (ctx.offline && source.kind !== 'dir') {
      tried.push(`${describeSource(source)}: not tried (offline)`);
      continue;
    }
    try {
      return await fromFetched(step, ctx, await fetchFromSource(source, step, stepsDir(ctx)));
    } catch (err) {
      tried.push(`${(err as { where?: string }).where ?? describeSource(source)}: ${(err as Error).message}`);
    }
  }
  const lines = [
    `the step "${step.id}" is not available: werker has no built-in "${step.name}"${builtinNote ? ' for this owner' : ''} and no step source has it; tried:`,
    ...tried.map((t) => `  ${t}`),
  ];
  if (!sources.length) lines[0] = `the step "${step.id}" is not available: werker has no built-in "${step.name}" and no step sources are set (no-github)`;
  if (builtinNote) lines.push(builtinNote);
  lines.push(`Give its package as ${step.name} "file://path/to/dir" or ${step.name} "https://host/owner/step-${step.name}.git", add a step source (--step-source), or put it in ${path.relative(process.cwd(), cacheDir) || cacheDir}`);
  return lines.join('\n');
}
