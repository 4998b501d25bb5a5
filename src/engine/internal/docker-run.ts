import { publishBindings } from '../services.ts';
import { shellSplit } from '../../util/shell-words.ts';
import type { ContainerSpec } from '../../runtime/runtime.ts';
import { failed, passed, StepOptions, type InternalStep } from './context.ts';
import { runScopedImage } from './image-names.ts';
import { mapImageName } from '../../plan/image-ref.ts';
import { pullImageVia } from '../mirror-pull.ts';
import { inferPullImage } from '../../plan/registry-host.ts';

/**
 * internal/docker-run (docs/wercker-compat.md §6.4): a detached side container `<run><name>` on the
 * run's network with the alias `<name>`, so steps reach it by name. It carries the run's labels, so
 * it is removed with the run.
 */
export const dockerRun: InternalStep = {
  sync: true,
  async run(ctx, step, o) {
    const name = step.nameProperty === undefined ? '' : new StepOptions({ name: step.nameProperty }, o.env).get('name');
    if (!name) return failed('"name" is a required field', 'give the container a name: it is also its host name on the network');
    if (!o.has('image')) return failed('"image" is a required field');
    // The image docker-build made in this run is the user's own; any other is mapped (the image map, §6.4).
    const local = runScopedImage(ctx.plan.runId, o.get('image'));
    // A host-less image with `registry` comes from that registry, with the credentials (§2.4).
    const inferred = inferPullImage(o.get('image'), o.get('registry') || undefined);
    const image = (await ctx.runtime.imageExists(local)) ? local : mapImageName(inferred.image, ctx.plan.options.imageMap);
    if (!(await ctx.runtime.imageExists(image))) {
      if (ctx.plan.options.pull === 'never') return failed(`image ${image} is not on the engine`);
      await pullImageVia(ctx.runtime, image, {
        ...(o.has('username') ? { auth: { username: o.get('username'), password: o.get('password'), serveraddress: inferred.serverAddress } } : {}),
        mirrors: ctx.plan.options.registryMirrors ?? [], say: (_level, text) => ctx.print(text),
      });
    }
    const spec: ContainerSpec = {
      name: runScopedImage(ctx.plan.runId, name), image, labels: ctx.labels, env: o.words('env'),
      network: { name: ctx.network, aliases: [name] },
    };
    const cmd = o.literal('cmd');
    const entrypoint = o.literal('entrypoint');
    if (cmd) spec.cmd = shellSplit(cmd);
    if (entrypoint) spec.entrypoint = shellSplit(entrypoint);
    if (o.has('working-dir')) spec.workingDir = o.get('working-dir');
    if (o.has('user')) spec.user = o.get('user');
    if (o.has('ports') && ctx.plan.options.exposePorts) spec.portBindings = publishBindings(o.list('ports'));
    const id = await ctx.runtime.createContainer(spec);
    await ctx.runtime.startContainer(id);
    ctx.print(`started ${name} (${image}) as ${spec.name}`);
    return passed();
  },
};

/**
 * internal/docker-kill (docs/wercker-compat.md §6.5): kills and removes `<run><name>`; `name` is
 * not expanded.
 */
export const dockerKill: InternalStep = {
  sync: false,
  async run(ctx, step, o) {
    const name = step.nameProperty;
    if (!name) return failed('"name" is a required field');
    const container = runScopedImage(ctx.plan.runId, name);
    await ctx.runtime.removeContainer(container, { force: true, volumes: true });
    ctx.print(`killed ${name}`);
    return passed();
  },
};
