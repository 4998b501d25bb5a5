import { shellSplit } from '../../util/shell-words.ts';
import { passed, type InternalStep } from './context.ts';
import { readShellEnv } from './sync.ts';

/** Shell state that belongs to the pipeline's shell, not to a new one. */
const NOT_COPIED = new Set(['PWD', 'OLDPWD', 'SHLVL', '_', 'HOSTNAME']);

/**
 * internal/shell (display `shell`; docs/wercker-compat.md §6.7): an interactive shell in the box on
 * the user's terminal — `cmd` (default: the box's default shell line) in $WERCKER_SOURCE_DIR, with
 * the pipeline shell's environment, `code` typed first. It ends when the user leaves the shell and
 * always passes. wercker typed the env exports into the shell; werker passes them as the exec's
 * environment instead, so hidden values never appear on the screen.
 *
 * Without a terminal (CI, tests, output piped) there is nobody to type: the step says so and
 * passes, so a dev pipeline with a shell step still runs unattended.
 */
export const shell: InternalStep = {
  sync: false,
  async run(ctx, _step, o) {
    if (!ctx.terminal || !ctx.runtime.execInteractive) {
      ctx.bus.emit({
        type: 'log', level: 'warn',
        text: 'internal/shell needs a terminal: werker\'s input or output is not a TTY, so the shell step is skipped (run werker from a terminal to get the shell)',
      });
      return passed();
    }
    // Synced here rather than by the framework: only a step that really opens a shell needs it.
    const env = [...(await readShellEnv(ctx.session))].filter(([k]) => !NOT_COPIED.has(k)).map(([k, v]) => `${k}=${v}`);
    const cmd = o.literal('cmd') ? shellSplit(o.literal('cmd')!) : ctx.plan.box.cmd?.length ? ctx.plan.box.cmd : ['/bin/sh'];
    const code = o.literal('code');
    ctx.print(`opening ${cmd.join(' ')} in the box; leave it (exit or Ctrl-D) to go on`);
    const exitCode = await ctx.runtime.execInteractive(ctx.containerId, cmd, ctx.terminal, {
      env, workingDir: ctx.plan.paths.sourceDir, ...(code ? { input: `${code}\n` } : {}),
    });
    ctx.print(`the shell exited with status ${exitCode}`);
    return passed();
  },
};
