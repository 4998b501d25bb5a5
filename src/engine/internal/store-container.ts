import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { RunPlan } from '../../plan/types.ts';
import { commitBox } from '../box-commit.ts';
import { runDirOf } from '../step-dirs.ts';
import { rememberBuiltImage } from './built-images.ts';
import { passed, type InternalContext, type InternalStep } from './context.ts';

/** The export's name in the run dir: `docker load -i builds/<run>/docker.tar.gz` reads it as it is. */
export const STORED_CONTAINER_FILE = 'docker.tar.gz';

/**
 * internal/store-container (docs/wercker-compat.md §6.8): the box is committed as `--commit` (else
 * `run-<run id>`), tagged `--tag` (else the git branch, `/` → `_`, else `latest`), and exported
 * with `docker save`, compressed, to `builds/<run id>/docker.tar.gz`. wercker then uploaded it to
 * hosted storage (`--store-s3`); werker keeps it in the run dir. A `run-<run id>` image is removed
 * with the run (unless --no-remove): the file is what stays. An image `--commit` named is kept.
 */
export const storeContainer: InternalStep = {
  sync: true,
  async run(ctx) {
    const { repo, tag, message, named } = storeTarget(ctx.plan);
    const ref = `${repo}:${tag}`;
    await commitBox(ctx, repo, tag, message);
    if (!named) rememberBuiltImage(ctx.plan, ref);
    ctx.print(`committed the box as ${ref}; exporting it`);
    const file = path.join(runDirOf(ctx.plan), STORED_CONTAINER_FILE);
    const { bytes, sha256 } = await exportImage(ctx, ref, file);
    ctx.print(`stored ${ref} in ${file} (${bytes} bytes, sha256 ${sha256}); load it with: docker load -i ${file}`);
    return passed();
  },
};

/** Where the box is committed: `--commit`/`--tag`/`--message`, else `run-<run id>`, the branch or `latest`, `Run <run id>`. */
export function storeTarget(plan: RunPlan): { repo: string; tag: string; message: string; named: boolean } {
  const branch = plan.env.filter((v) => v.name === 'WERCKER_GIT_BRANCH').at(-1)?.value ?? '';
  const commit = plan.options.commit;
  return {
    repo: (commit?.repo || `run-${plan.runId}`).toLowerCase(),
    tag: (plan.options.tag || branch).replaceAll('/', '_') || 'latest',
    message: commit?.message || `Run ${plan.runId}`,
    named: Boolean(commit?.repo),
  };
}

/** `docker save` of `ref`, gzip-compressed into `file`; the size and sha256 of what was written. */
async function exportImage(ctx: InternalContext, ref: string, file: string): Promise<{ bytes: number; sha256: string }> {
  await mkdir(path.dirname(file), { recursive: true });
  const hash = createHash('sha256');
  const measured = new PassThrough();
  measured.on('data', (c: Buffer) => hash.update(c));
  try {
    await pipeline(await ctx.runtime.saveImage(ref), createGzip(), measured, createWriteStream(file));
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
  return { bytes: (await stat(file)).size, sha256: hash.digest('hex') };
}
