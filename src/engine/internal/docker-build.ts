import path from 'node:path';
import type { StepOutcome } from '../step-context.ts';
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
    const squash = o.bool('squash');
    try {
      await ctx.runtime.buildImage(stripTopDir(archive, rewrite ? { rewrite } : {}), {
        tag, dockerfile, labels, networkMode: ctx.network,
        extraHosts: o.words('extra-hosts'), noCache: o.bool('no-cache'), quiet: o.bool('q'), squash,
        pull: ctx.plan.options.pull === 'always',
        // §6.3: the intermediate containers stay for inspection with --no-remove, as wercker kept them.
        keepIntermediate: ctx.plan.options.noRemove,
        ...(buildArgs ? { buildArgs } : {}),
        ...(o.has('registry-auth-config') ? { registryConfig: JSON.parse(o.get('registry-auth-config')) } : {}),
        onOutput: (line) => ctx.print(line),
      });
    } catch (err) {
      if (squash && /experimental/i.test((err as Error).message)) return squashRefused(err as Error);
      throw err;
    }
    rememberBuiltImage(ctx.plan, tag);
    ctx.print(`Built ${tag}`);
    return passed();
  },
};

/**
 * `squash: true` on an engine without experimental mode: the engine refuses the build (20.10:
 * "squash is only supported with experimental mode"). The step fails, as the image asked for
 * cannot be made, and says the two ways on.
 */
function squashRefused(err: Error): StepOutcome {
  return failed(
    `the engine refused to squash the image: ${err.message}`,
    'turn on the engine\'s experimental mode ("experimental": true in /etc/docker/daemon.json, then restart dockerd), or remove squash from the step',
  );
}
