import { portProto } from '../../plan/plan.ts';
import type { CommitOptions, RegistryAuth } from '../../runtime/runtime.ts';
import { shellSplit } from '../../util/shell-words.ts';
import type { StepOutcome } from '../step-context.ts';
import { failed, passed, type InternalContext, type InternalStep, type StepOptions } from './context.ts';
import { pushTarget, runScopedImage } from './image-names.ts';
import { commitBox } from '../box-commit.ts';

/**
 * internal/docker-push (docs/wercker-compat.md §6.1). Commit mode: the box container is committed
 * (werker's step files removed first, so they are not in the image) with the given cmd, entrypoint,
 * ports, working dir, env, labels, user, volumes and stop signal; image mode (`image-name`) pushes
 * the image docker-build made. Each tag is pushed with the credentials sent as registry auth in a
 * header, never on a command line.
 */
export const dockerPush: InternalStep = {
  sync: true,
  async run(ctx, _step, o) {
    const dest = pushDestination(ctx, o);
    if ('status' in dest) return dest;
    const { target, tags } = dest;
    let source: string;
    if (o.has('image-name')) {
      source = runScopedImage(ctx.plan.runId, o.get('image-name'));
      await ctx.runtime.tagImage(source, target.repo, tags[0]);
    } else {
      let config: CommitOptions['config'];
      try {
        config = commitConfig(o);
      } catch (err) {
        return failed((err as Error).message);
      }
      source = await commitBox(ctx, target.repo, tags[0], o.get('message') || `Run ${ctx.plan.runId}`, { config, ...(o.has('author') ? { author: o.get('author') } : {}) });
      ctx.print(`committed the box as ${target.repo}:${tags[0]}`);
    }
    return tagAndPush(ctx, o, dest, source);
  },
};

/**
 * Where a push goes: the repository (registry inferred, docs/wercker-compat.md §2.4) and its
 * checked tags.
 */
export interface PushDestination {
  target: { repo: string; serverAddress: string };
  tags: [string, ...string[]];
}

/** `repository` and `tag` read and checked (docs/wercker-compat.md §6.1); a failed outcome when they are not usable. */
export function pushDestination(ctx: InternalContext, o: StepOptions): PushDestination | StepOutcome {
  if (!o.has('repository')) return failed('Repository not specified', 'set the repository option, e.g. repository: registry.example:5000/team/app');
  let tags = o.list('tag');
  if (!o.has('tag') && o.has('tags')) {
    ctx.print('warning: "tags" is not a docker-push option in wercker (it pushed "latest"); werker reads it as "tag"');
    tags = o.list('tags');
  }
  if (tags.length === 0) tags = ['latest'];
  const bad = tags.find((t) => !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(t));
  if (bad !== undefined) return failed(`invalid tag "${bad}"`, 'a tag is up to 128 letters, digits, _ . - (an empty $VAR gives an empty tag)');
  return { target: pushTarget(o.get('repository'), o.get('registry') || undefined), tags: tags as [string, ...string[]] };
}

/**
 * Applies the other tags to `source` (already tagged with the first) and pushes each with the
 * step's credentials, sent as registry auth in a header; with --docker-local only tags.
 */
export async function tagAndPush(ctx: InternalContext, o: StepOptions, dest: PushDestination, source: string): Promise<StepOutcome> {
  let outcome: StepOutcome | undefined;
  try {
    outcome = await tagAndPushTags(ctx, o, dest, source);
    return outcome;
  } finally {
    if (ctx.plan.options.cleanupImage) await removePushedTags(ctx, dest, '--docker-cleanup-image');
    // A push that failed leaves nothing the step made on the engine (kept with --no-remove, to look at).
    else if (outcome?.status !== 'passed' && !ctx.plan.options.noRemove) await removePushedTags(ctx, dest, 'not pushed; --no-remove keeps it');
  }
}

/**
 * `--docker-cleanup-image` (docs/wercker-compat.md §8.3): each `repository:tag` the step made is
 * removed from the engine once the step is done, pushed or not, as wercker did; the image goes
 * with its last tag. A failed push removes them too (§6.1), unless --no-remove.
 */
async function removePushedTags(ctx: InternalContext, { target, tags }: PushDestination, why: string): Promise<void> {
  for (const tag of tags) {
    const ref = `${target.repo}:${tag}`;
    try {
      await ctx.runtime.removeImage(ref);
      ctx.print(`removed ${ref} from the engine (${why})`);
    } catch (err) {
      ctx.print(`warning: could not remove ${ref} (${why}): ${(err as Error).message}`);
    }
  }
}

async function tagAndPushTags(ctx: InternalContext, o: StepOptions, dest: PushDestination, source: string): Promise<StepOutcome> {
  const { target, tags } = dest;
  for (const tag of tags.slice(1)) await ctx.runtime.tagImage(source, target.repo, tag);
  if (ctx.plan.options.pull === 'never') {
    ctx.print(`--docker-local: tagged ${tags.map((t) => `${target.repo}:${t}`).join(', ')}, not pushed`);
    return passed();
  }
  const auth: RegistryAuth = { serveraddress: target.serverAddress };
  if (o.has('username')) auth.username = o.get('username');
  if (o.has('password')) auth.password = o.get('password');
  if (o.has('email')) auth.email = o.get('email');
  if (o.has('auth-server')) {
    const refused = await logInAtAuthServer(ctx, auth, o.get('auth-server'));
    if (refused) return refused;
  }
  for (const tag of tags) {
    let last = '';
    await ctx.runtime.pushImage(target.repo, tag, {
      auth,
      onProgress: (p) => {
        const line = `${p.id ? `${p.id}: ` : ''}${p.status}`;
        if (!p.current && line !== last) ctx.print(line);
        last = line;
      },
    });
    ctx.print(`Pushed ${target.repo}:${tag}`);
  }
  return passed();
}

/**
 * `auth-server` (docs/wercker-compat.md §6.1): the server address the credentials are sent with,
 * for the push and for a login the engine makes there first, so a refused login fails the step
 * before anything is pushed.
 */
async function logInAtAuthServer(ctx: InternalContext, auth: RegistryAuth, server: string): Promise<StepOutcome | undefined> {
  auth.serveraddress = server;
  try {
    ctx.print(`${await ctx.runtime.login(auth)} at ${server}`);
    return undefined;
  } catch (err) {
    return failed(`the auth server ${server} refused the login: ${(err as Error).message}`, 'check username and password, and that auth-server names the registry\'s login server (e.g. registry.example.com or https://registry.example.com/v2/)');
  }
}

type ImageConfig = NonNullable<CommitOptions['config']>;

/**
 * The image config both pushes set (docs/wercker-compat.md §6.1, §6.2): cmd and entrypoint
 * shell-split and not expanded; working-dir, ports (`Invalid port …` on a bad one), volumes and env
 * expanded.
 */
export function imageConfig(o: StepOptions): ImageConfig {
  const config: ImageConfig = {};
  const cmd = o.literal('cmd');
  const entrypoint = o.literal('entrypoint');
  if (cmd) config.Cmd = shellSplit(cmd);
  if (entrypoint) config.Entrypoint = shellSplit(entrypoint);
  if (o.has('working-dir')) config.WorkingDir = o.get('working-dir');
  if (o.has('ports')) {
    config.ExposedPorts = {};
    for (const p of o.list('ports')) {
      if (!/^\d+(\/(tcp|udp|sctp))?$/.test(p)) throw new Error(`Invalid port "${p}"`);
      config.ExposedPorts[portProto(p)] = {};
    }
  }
  if (o.has('volumes')) config.Volumes = Object.fromEntries(o.list('volumes').map((v) => [v, {}]));
  if (o.has('env')) config.Env = o.words('env');
  return config;
}

/** The image config docker-push sets over what the container had (docs/wercker-compat.md §6.1 options). */
function commitConfig(o: StepOptions): ImageConfig {
  const config = imageConfig(o);
  if (o.has('user')) config.User = o.get('user');
  if (o.has('stopsignal')) config.StopSignal = o.get('stopsignal');
  // commitBox blanks the run's labels under these.
  if (o.has('labels')) config.Labels = o.pairs('labels');
  return config;
}
