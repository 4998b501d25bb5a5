import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, symlink, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-fs';
import type { RunPlan } from '../plan/types.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { DockerApiError, WerkerError } from '../errors.ts';

/** wercker's limit on the stored output (docs/wercker-compat.md §4.10). */
export const MAX_ARTIFACT_BYTES = 5000 * 1024 * 1024;
const TOO_BIG = 'Size exceeds maximum size of 5000MB';

export interface StoredArtifacts {
  dir: string;
  /** The box's directory the files came from: the output dir, or the source when it held none. */
  from: string;
  files: number;
  bytes: number;
}

/**
 * Copies the box's output dir out (docs/wercker-compat.md §4.10) into
 * `<working dir>/builds/<run>/output` plus `output.tar`, or the source when the output holds no
 * file, and points `latest` at the run. Nothing is left in `output/` unless every file got there. Any failure fails the run (§4.7) as `Storing artifacts failed: …`;
 * `maxBytes` is the 5000 MB limit, smaller only in tests.
 */
export async function storeArtifacts(plan: RunPlan, runtime: ContainerRuntime, containerId: string, maxBytes = MAX_ARTIFACT_BYTES): Promise<StoredArtifacts> {
  try {
    return await storeOutput(plan, runtime, containerId, maxBytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new WerkerError(`Storing artifacts failed: ${reason}`, 1, {
      cause: err,
      hint: (err instanceof WerkerError ? err.hint : undefined) ?? (reason === TOO_BIG
        ? 'store less in $WERCKER_OUTPUT_DIR (when it holds no file, the whole source is stored)'
        : `check that ${path.join(plan.workingDir, 'builds', plan.runId)} can be written (a full disk, or a file in the way), then run again`),
    });
  }
}

async function storeOutput(plan: RunPlan, runtime: ContainerRuntime, containerId: string, maxBytes: number): Promise<StoredArtifacts> {
  const runDir = path.join(plan.workingDir, 'builds', plan.runId);
  const outDir = path.join(runDir, 'output');
  const tarFile = path.join(runDir, 'output.tar');
  // Written beside their places and moved there only once complete: `latest` points at this run
  // from its start (§1), so a store that fails part way must leave no `output/` that a
  // `werker deploy` would take as the build's output (docs/wercker-compat.md §4.10).
  const staged = { dir: `${outDir}.partial`, tar: `${tarFile}.partial` };
  try {
    let from = plan.paths.output;
    let stored = await copyOut(runtime, containerId, from, staged.dir, staged.tar, maxBytes);
    if (stored.files === 0) {
      from = plan.paths.base;
      stored = await copyOut(runtime, containerId, from, staged.dir, staged.tar, maxBytes);
    }
    await writeFile(path.join(runDir, 'run.json'), JSON.stringify(runRecord(plan), null, 2));
    await rm(outDir, { recursive: true, force: true });
    // No tar when neither dir was there to copy (a step removed them, §4.3): nothing to move.
    if (existsSync(staged.tar)) await rename(staged.tar, tarFile);
    await rename(staged.dir, outDir);
    await pointLatest(plan.workingDir, plan.kind === 'deploy' ? 'latest_deploy' : 'latest', runDir);
    return { dir: outDir, from, ...stored };
  } catch (err) {
    await Promise.all([staged.dir, staged.tar, outDir, path.join(runDir, 'run.json')].map((p) => rm(p, { recursive: true, force: true })));
    throw err;
  }
}

/** What a later `werker deploy` of this output needs to know about the build. */
export interface RunRecord {
  runId: string;
  pipeline: string;
  git: { branch: string; commit: string; tag: string };
}

function runRecord(plan: RunPlan): RunRecord {
  const get = (name: string) => plan.env.filter((v) => v.name === name).at(-1)?.value ?? '';
  return { runId: plan.runId, pipeline: plan.pipeline, git: { branch: get('WERCKER_GIT_BRANCH'), commit: get('WERCKER_GIT_COMMIT'), tag: get('WERCKER_GIT_TAG') } };
}

async function copyOut(runtime: ContainerRuntime, containerId: string, from: string, to: string, tarFile: string, maxBytes: number): Promise<{ files: number; bytes: number }> {
  await rm(to, { recursive: true, force: true });
  await mkdir(to, { recursive: true });
  let archive: NodeJS.ReadableStream;
  try {
    archive = await runtime.getArchive(containerId, from);
  } catch (err) {
    // A step may remove the directory (/pipeline is an ordinary directory, docs/wercker-compat.md §4.3): nothing to store.
    if (err instanceof DockerApiError && err.status === 404) return { files: 0, bytes: 0 };
    throw err;
  }
  let bytes = 0;
  let files = 0;
  const counted = new PassThrough();
  counted.on('data', (c: Buffer) => {
    bytes += c.length;
    if (bytes > maxBytes) counted.destroy(new Error(TOO_BIG));
  });
  const extract = tar.extract(to, {
    // The archive's top entry is the directory itself (`output/…`): strip it.
    map: (header) => {
      header.name = header.name.split('/').slice(1).join('/') || '.';
      if (header.type === 'file') files++;
      return header;
    },
  });
  // The tar first, then unpacked from it: one pipeline at a time, so a stream stopped part way
  // (the size limit) fails this call instead of leaving an error no one listens for.
  await pipeline(archive, counted, createWriteStream(tarFile));
  await pipeline(createReadStream(tarFile), extract as unknown as NodeJS.WritableStream);
  return { files, bytes };
}

export async function pointLatest(workingDir: string, name: string, target: string): Promise<void> {
  const link = path.join(workingDir, name);
  await rm(link, { force: true });
  await symlink(path.relative(workingDir, target), link);
}

/** Removes old run dirs beyond the two newest when older than a day (docs/wercker-compat.md §1). */
export async function pruneBuilds(workingDir: string): Promise<void> {
  const builds = path.join(workingDir, 'builds');
  const entries = await readdir(builds).catch(() => [] as string[]);
  const withTimes = await Promise.all(entries.map(async (e) => ({ e, mtime: (await stat(path.join(builds, e))).mtimeMs })));
  withTimes.sort((a, b) => b.mtime - a.mtime);
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const { e, mtime } of withTimes.slice(2)) if (mtime < dayAgo) await rm(path.join(builds, e), { recursive: true, force: true });
}
