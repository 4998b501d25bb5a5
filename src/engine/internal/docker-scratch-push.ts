import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import type { CommitOptions } from '../../runtime/runtime.ts';
import { runDirOf } from '../step-dirs.ts';
import { failed, type InternalContext, type InternalStep } from './context.ts';
import { imageConfig, pushDestination, tagAndPush } from './docker-push.ts';
import { stripTopDir } from './strip-top-dir.ts';

type ImageConfig = NonNullable<CommitOptions['config']>;

interface Layer {
  file: string;
  size: number;
  /** sha256 of the uncompressed layer: its diff id. */
  digest: string;
  files: number;
}

/**
 * internal/docker-scratch-push (docs/wercker-compat.md §6.2): the box's output dir (or the source,
 * when the output holds no file) becomes the whole file system of a one-layer image FROM scratch
 * for linux/amd64 — `output/x` is `/x` — with cmd, entrypoint, env, working-dir, volumes and ports
 * (labels, user and stopsignal are ignored, as in wercker). The image is loaded into the engine,
 * then tagged and pushed as internal/docker-push does.
 */
export const dockerScratchPush: InternalStep = {
  sync: true,
  async run(ctx, _step, o) {
    const dest = pushDestination(ctx, o);
    if ('status' in dest) return dest;
    let config: ImageConfig;
    try {
      config = imageConfig(o);
    } catch (err) {
      return failed((err as Error).message);
    }
    const runDir = runDirOf(ctx.plan);
    await mkdir(runDir, { recursive: true });
    const work = await mkdtemp(path.join(runDir, 'scratch-'));
    try {
      const file = path.join(work, 'layer.tar');
      let layer = await writeLayer(ctx, ctx.plan.paths.output, file);
      if (layer.files === 0) {
        ctx.print(`${ctx.plan.paths.output} holds no file: using ${ctx.plan.paths.base}`);
        layer = await writeLayer(ctx, ctx.plan.paths.base, file);
      }
      const ref = `${dest.target.repo}:${dest.tags[0]}`;
      for (const line of await ctx.runtime.loadImage(imageArchive(layer, config, ref))) ctx.print(line);
      ctx.print(`made ${ref} from scratch: ${layer.files} files`);
      return await tagAndPush(ctx, o, dest, ref);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};

/** Copies `from` out of the box as a tar whose root is that directory, hashing it on the way. */
async function writeLayer(ctx: InternalContext, from: string, file: string): Promise<Layer> {
  let files = 0;
  let size = 0;
  const hash = createHash('sha256');
  const measured = new PassThrough();
  measured.on('data', (c: Buffer) => {
    size += c.length;
    hash.update(c);
  });
  const archive = await ctx.runtime.getArchive(ctx.containerId, from);
  const layer = stripTopDir(archive, { onEntry: (h) => h.type === 'file' && files++ });
  await pipeline(layer, measured, createWriteStream(file));
  return { file, size, digest: hash.digest('hex'), files };
}

/** A `docker save` style archive of one image: its config, the layer and the manifest naming `ref`. */
function imageArchive(layer: Layer, config: ImageConfig, ref: string): Readable {
  const created = new Date().toISOString();
  const imageJson = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created, config,
    rootfs: { type: 'layers', diff_ids: [`sha256:${layer.digest}`] },
    history: [{ created, created_by: 'werker internal/docker-scratch-push' }],
  }));
  const configName = `${createHash('sha256').update(imageJson).digest('hex')}.json`;
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [ref], Layers: ['layer.tar'] }]));
  const out = pack();
  const write = async () => {
    out.entry({ name: configName }, imageJson);
    out.entry({ name: 'manifest.json' }, manifest);
    await pipeline(createReadStream(layer.file), out.entry({ name: 'layer.tar', size: layer.size }) as unknown as NodeJS.WritableStream);
    out.finalize();
  };
  write().catch((err: Error) => out.destroy(err));
  return Readable.from(out);
}
