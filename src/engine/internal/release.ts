import { releaseOnHosts, localActor } from '../../deploy/hosts.ts';
import { locateOptionErrors } from '../../deploy/option-errors.ts';
import { parseReleaseOptions } from '../../deploy/release-options.ts';
import { failed, passed, type InternalStep } from './context.ts';

/**
 * Characters wercker's export encoding does not carry into the box's shell as they are
 * (docs/wercker-compat.md §3.6).
 */
const LOSSY = /[$`\\\n\r]/;

/**
 * internal/release (sync): deploys an image to servers over SSH with zero downtime — see
 * src/deploy/release.ts for the sequence and README "Releasing to servers" for the options.
 * A failed health check fails the step and leaves the live release serving.
 *
 * `$VAR`s and `env` names resolve against the synced shell env (so a script step's export
 * counts), except for a pipeline variable whose value the shell cannot hold exactly: its `$(…)`
 * was expanded and its line breaks became `\n` on the way in, so the pipeline's own value is
 * used and reaches the container byte for byte.
 */
export const release: InternalStep = {
  sync: true,
  async run(ctx, step, o) {
    const pipeline = new Map(ctx.plan.env.map((v) => [v.name, v.value]));
    const lookup = (n: string) => {
      const exact = pipeline.get(n);
      return exact !== undefined && LOSSY.test(exact) ? exact : o.env.get(n) ?? exact;
    };
    const parsed = parseReleaseOptions({ raw: o.raw, lookup, imageMap: ctx.plan.options.imageMap });
    if (!parsed.ok) return failed(locateOptionErrors(parsed.errors, ctx.plan.configFile, ctx.plan.pipeline, step).join('\n'), 'see README "Releasing to servers" for the options');
    const io = { print: ctx.print, ...(ctx.signal ? { signal: ctx.signal } : {}) };
    await releaseOnHosts(parsed.spec, localActor(ctx.plan.runId), io, 'deploy');
    return passed();
  },
};
