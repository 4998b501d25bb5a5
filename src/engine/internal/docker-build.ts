import path from 'node:path';
import { failed, passed, type InternalStep } from './context.ts';
import { runScopedImage } from './image-names.ts';
import { mapDockerfileFrom } from './dockerfile-from.ts';
import { stripTopDir } from './strip-top-dir.ts';
import { rememberBuiltImage } from './built-images.ts';

/**
 * internal/docker-build (docs/wercker-compat.md §6.3): builds a Dockerfile from the box's
 * /pipeline/source (under --guest-root, §4.3; or its `context` sub-dir), copied out as a tar, on the engine; tagged
 * `<run><image-name>` and kept local for docker-push (image mode) and docker-run.
 */
export const dockerBuild: InternalStep = {
  sync: true,
  async run(ctx, _step, o) {
    if (!o.has('image-name')) return failed('image-name not set', 'name the image, e.g. image-name: app');
    const base = `${ctx.plan.paths.root}/source`;
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
    const dockerfile = o.get('dockerfile', 'Dockerfile');
    const { imageMap } = ctx.plan.options;
    const rewrite = imageMap.length ? { name: path.posix.normalize(dockerfile), edit: (text: string) => mapDockerfileFrom(text, imageMap) } : undefined;
    await ctx.runtime.buildImage(stripTopDir(archive, rewrite ? { rewrite } : {}), {
      tag, dockerfile, labels, networkMode: ctx.network,
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
