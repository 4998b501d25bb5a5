import path from 'node:path';
import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { failed, passed, type InternalStep } from './context.ts';
import { runScopedImage } from './image-names.ts';
import { rememberBuiltImage } from './built-images.ts';

/**
 * internal/docker-build (spec §6.3): builds a Dockerfile from the box's /pipeline/source (or its
 * `context` sub-dir), copied out as a tar, on the engine; tagged `<run><image-name>` and kept
 * local for docker-push (image mode) and docker-run.
 */
export const dockerBuild: InternalStep = {
  sync: true,
  async run(ctx, _step, o) {
    if (!o.has('image-name')) return failed('image-name not set', 'name the image, e.g. image-name: app');
    const base = '/pipeline/source';
    const dir = o.has('context') ? path.posix.join(base, o.get('context')) : base;
    const tag = runScopedImage(ctx.plan.runId, o.get('image-name'));
    let labels: Record<string, string>;
    try {
      labels = o.pairs('labels');
    } catch (err) {
      return failed((err as Error).message);
    }
    const archive = await ctx.runtime.getArchive(ctx.containerId, dir);
    const buildArgs = o.has('build-args') ? o.pairs('build-args') : undefined;
    await ctx.runtime.buildImage(stripTopDir(archive), {
      tag, dockerfile: o.get('dockerfile', 'Dockerfile'), labels, networkMode: ctx.network,
      extraHosts: o.words('extra-hosts'), noCache: o.bool('no-cache'), quiet: o.bool('q'),
      pull: ctx.plan.options.pull === 'always',
      ...(buildArgs ? { buildArgs } : {}),
      ...(o.has('registry-auth-config') ? { registryConfig: JSON.parse(o.get('registry-auth-config')) } : {}),
      onOutput: (line) => ctx.print(line),
    });
    rememberBuiltImage(ctx.plan, tag);
    ctx.print(`Built ${tag}`);
    return passed();
  },
};

/** The archive API names entries `<dir>/…`; a build context wants them at its root. */
function stripTopDir(archive: Readable): Readable {
  const out = pack();
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const name = header.name.split('/').slice(1).join('/');
    if (!name) {
      stream.resume();
      stream.on('end', next);
      return;
    }
    stream.pipe(out.entry({ ...header, name }, next) as unknown as NodeJS.WritableStream);
  });
  ex.on('finish', () => out.finalize());
  ex.on('error', (err) => out.destroy(err));
  archive.on('error', (err) => out.destroy(err));
  archive.pipe(ex as unknown as NodeJS.WritableStream);
  return Readable.from(out);
}
