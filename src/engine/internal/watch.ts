import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PlannedStep } from '../../plan/types.ts';
import { watchProject, type ProjectChanges } from '../../dev/project-changes.ts';
import type { BatchResult } from '../shell-session.ts';
import type { StepOutcome } from '../step-context.ts';
import { failed, type InternalContext, type InternalStep } from './context.ts';
import { WatchedCode } from './watch-processes.ts';

type Wake = { kind: 'ended'; result: BatchResult } | { kind: 'changed'; files: string[] } | { kind: 'stop' };

/**
 * internal/watch (display `watch`; docs/wercker-compat.md §6.6): runs `code` in the box's shell and
 * streams its output until Ctrl-C, which ends the step as passed (and the run, see engine/run.ts).
 * With `reload: true` it watches the host project and, once a burst of saves is over, stops the
 * code (SIGINT, see WatchedCode) and runs it again, saying which files changed. Code that exits by
 * itself is reported and, with reload, run again on the next change (fix the typo, save).
 *
 * werker runs `code` in a subshell, `( code )`: each restart starts from the same directory
 * and variables (a `cd` in the code does not pile up), and SIGINT ends the whole code rather
 * than one command of it. No command or no-response timeout applies: a watch runs until stopped.
 */
export const watch: InternalStep = {
  sync: false,
  async run(ctx, step, o) {
    const code = o.literal('code') ?? '';
    if (!code.trim()) return failed('internal/watch needs code: the command to run, e.g. code: node app.js');
    const reload = o.literal('reload') ?? 'false';
    if (reload !== 'true' && reload !== 'false') return failed(`reload must be true or false, not "${reload}"`);
    const procs = await WatchedCode.find(ctx.runtime, ctx.containerId, ctx.session);
    let changes: ProjectChanges | undefined;
    if (reload === 'true') {
      changes = await watchProject(ctx.plan.projectDir, { workingDir: ctx.plan.workingDir, ignoreFile: ctx.plan.options.ignoreFile });
      ctx.print(`watching ${ctx.plan.projectDir} (${changes.directories} ${changes.directories === 1 ? 'directory' : 'directories'}) for changes`);
      if (!ctx.plan.options.directMount) {
        ctx.print('warning: the source was copied into the box (no --direct-mount), so the restarted code still sees the old files');
      }
    }
    try {
      return await loop(ctx, step, code.split('\n'), procs, changes);
    } finally {
      changes?.close();
    }
  },
};

async function loop(ctx: InternalContext, step: PlannedStep, code: string[], procs: WatchedCode, changes: ProjectChanges | undefined): Promise<StepOutcome> {
  const stop = stopped(ctx.signal);
  const onLine = (stream: 'stdout' | 'stderr', text: string, partial?: boolean) => ctx.bus.output(step.index, stream, text, partial);
  const nextChange = (): Promise<Wake> => (changes ? changes.next().then((files) => ({ kind: 'changed', files })) : new Promise(() => {}));
  for (;;) {
    const batch = ctx.session.run(['set +e', '(', ...code, ')'], { onLine });
    let wake = await Promise.race([batch.then((result): Wake => ({ kind: 'ended', result })), nextChange(), stop]);
    if (wake.kind === 'ended') {
      const { result } = wake;
      if (result.kind !== 'exited') return failed('the box\'s shell ended while the code ran', 'the code must not `exit` the shell: it runs in the pipeline\'s own shell');
      ctx.print(`code exited with status ${result.status}; ${changes ? 'waiting for a change to run it again' : 'Ctrl-C ends the watch'}`);
      wake = await Promise.race([nextChange(), stop]);
      if (wake.kind === 'stop') return { status: 'passed', exitCode: 0, stopRun: true };
      if (wake.kind === 'changed') ctx.print(`--> Reloading: ${describe(ctx.plan.projectDir, wake.files)} changed`);
    } else {
      if (wake.kind === 'changed') ctx.print(`--> Reloading: ${describe(ctx.plan.projectDir, wake.files)} changed`);
      await procs.stop(batch);
      if (wake.kind === 'stop') return { status: 'passed', exitCode: 0, stopRun: true };
    }
  }
}

/** Resolves when the run is aborted (Ctrl-C); never otherwise. */
function stopped(signal: AbortSignal | undefined): Promise<Wake> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve({ kind: 'stop' });
    signal?.addEventListener('abort', () => resolve({ kind: 'stop' }), { once: true });
  });
}

/** The changed files worth naming: an editor's temporary file, made and renamed away within the burst, is not. */
function describe(projectDir: string, changed: string[]): string {
  const present = changed.filter((f) => existsSync(path.join(projectDir, f)));
  const files = present.length ? present : changed;
  const shown = files.slice(0, 3).join(', ');
  return files.length > 3 ? `${shown} and ${files.length - 3} more` : shown;
}
