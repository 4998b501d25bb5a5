import type { PlannedStep, RunPlan } from '../plan/types.ts';
import { goQuote } from '../util/go-quote.ts';
import { readStepMessage } from './step-dirs.ts';
import { runInternal } from './internal/run-internal.ts';
import type { StepPhase } from './events.ts';
import { quoteForExport } from './quote-for-export.ts';
import type { ShellSession } from './shell-session.ts';
import type { StepContext, StepOutcome } from './step-context.ts';
import { exitTrapLine, keepsFailureState } from './failure-state.ts';

const EXIT_HINT = 'the step ended the box\'s shell: `exit` (even `exit 0`) or a failing command under `set -e` does that, ' +
  'since steps are sourced into one shell; use `return` to leave a step early, or `cmd || true` for a command allowed to fail';

/**
 * Runs one step in the pipeline's shell (docs/wercker-compat.md §4.5): per-step setup and
 * variables, then its init.sh and run.sh sourced (run.sh reading /dev/null so it cannot eat
 * protocol lines).
 */
export async function runStep(ctx: StepContext, step: PlannedStep, phase: StepPhase): Promise<StepOutcome> {
  const { plan, session, bus } = ctx;
  const started = Date.now();
  bus.emit({ type: 'step.started', step: step.index, name: step.displayName, phase });
  const onLine = (stream: 'stdout' | 'stderr', line: string, partial?: boolean) => void bus.output(step.index, stream, line, partial);
  if (step.kind === 'internal') {
    const outcome = await runInternal({ ...ctx, print: (line) => onLine('stdout', line) }, step);
    return finish(ctx, step, phase, started, outcome);
  }
  const dir = `${plan.paths.root}/${step.safeId}`;
  const timeouts = { timeoutMs: plan.options.commandTimeoutMs, noResponseTimeoutMs: plan.options.noResponseTimeoutMs };
  const signal = ctx.signal ? { signal: ctx.signal } : {};
  const prepared = await prepareStep(ctx, step, { onLine, ...timeouts, ...signal });
  if (prepared) return finish(ctx, step, phase, started, prepared);
  const setup = stepVariables(plan, step).map(([k, v]) => quoteForExport(k, v));
  // A step that ends the shell takes its env and dir with it: the trap leaves them for failure-state.ts.
  // An after-step's too when a shell opens where it failed (docs/wercker-compat.md §4.7).
  if (phase === 'main' ? keepsFailureState(plan) : plan.options.shellOnFailure) setup.push(exitTrapLine());
  const commands: string[] = [];
  if (step.scripts.init) commands.push(`. "${dir}/init.sh"`);
  if (step.scripts.run) commands.push(`. "${dir}/run.sh" < /dev/null`);
  // `cwd` is entered once, relative to the source dir; a cd that fails fails the step.
  if (step.cwd && commands[0]) commands[0] = `cd ${goQuote(step.cwd)} && ${commands[0]}`;
  else if (step.cwd) setup.push(`cd ${goQuote(step.cwd)}`);
  let outcome: StepOutcome = { status: 'passed', exitCode: 0 };
  const batches = commands.length ? commands.map((c, i) => (i === 0 ? [...setup, c] : [c])) : [setup];
  for (const lines of batches) {
    const result = await session.run(lines, { onLine, ...timeouts, ...signal });
    outcome = await toOutcome(ctx, result);
    if (outcome.status !== 'passed') break;
  }
  if (outcome.status === 'failed') {
    const message = await readStepMessage(plan, step.safeId);
    if (message) {
      // The step said why (fail / setMessage): the hint about `exit` would only mislead.
      outcome.message = message;
      delete outcome.hint;
    }
  }
  return finish(ctx, step, phase, started, outcome);
}

/**
 * The step's checked setup, as wercker's (docs/wercker-compat.md §4.5): its report dir, `set +e`,
 * its dir copied from the read-only mount to /pipeline/<step>, and `cd` to the source dir. A
 * step removed /pipeline (or the source) without making it again: this step fails, as it did in
 * wercker. Undefined when all went well, else the failed outcome.
 */
async function prepareStep(ctx: StepContext, step: PlannedStep, opts: Parameters<ShellSession['run']>[1]): Promise<StepOutcome | undefined> {
  const { paths } = ctx.plan;
  const lines = [
    'set +e',
    `mkdir -p "${paths.report}/${step.safeId}/artifacts" && cp -r "${paths.mnt}/${step.safeId}" "${paths.root}/${step.safeId}" && cd "$WERCKER_SOURCE_DIR"`,
  ];
  const outcome = await toOutcome(ctx, await ctx.session.run(lines, opts));
  if (outcome.status !== 'failed') return outcome.status === 'passed' ? undefined : outcome;
  return { ...outcome, message: `the step could not be set up in ${paths.root} (${outcome.message ?? 'failed'})`, hint: setupHint(paths.root) };
}

/** The guest root is /pipeline unless --guest-root moved it (§4.3). */
const setupHint = (root: string) =>
  `a step before this one removed ${root} or the source dir; a step that removes them must make them again, e.g. mkdir -p "$WERCKER_SOURCE_DIR"`;

function finish(ctx: StepContext, step: PlannedStep, phase: StepPhase, started: number, outcome: StepOutcome): StepOutcome {
  const { bus } = ctx;
  const finished = { type: 'step.finished' as const, step: step.index, name: step.displayName, phase, durationMs: Date.now() - started, exitCode: outcome.exitCode };
  if (outcome.status !== 'cancelled') {
    bus.emit({ ...finished, status: outcome.status, ...(outcome.message ? { message: outcome.message } : {}), ...(outcome.hint ? { hint: outcome.hint } : {}) });
  }
  return outcome;
}

async function toOutcome(ctx: StepContext, result: Awaited<ReturnType<ShellSession['run']>>): Promise<StepOutcome> {
  switch (result.kind) {
    case 'exited':
      return result.status === 0 ? { status: 'passed', exitCode: 0 } : { status: 'failed', exitCode: result.status, message: `Command exited with exit code: ${result.status}` };
    case 'gone': {
      const info = await ctx.runtime.inspectContainer(ctx.containerId).catch(() => undefined);
      const code = info && !info.running ? info.exitCode : null;
      return { status: 'failed', exitCode: code, message: `the shell ended${code === null ? '' : ` with exit code ${code}`}`, hint: EXIT_HINT };
    }
    case 'timeout':
      return { status: 'failed', exitCode: null, message: 'Command timed out', hint: 'raise command-timeout (minutes) in wercker.yml or --command-timeout' };
    case 'no-response':
      return { status: 'failed', exitCode: null, message: 'Command timed out after no response', hint: 'the step printed nothing for too long; raise no-response-timeout or --no-response-timeout' };
    case 'cancelled':
      return { status: 'cancelled', exitCode: null };
  }
}

/**
 * WERCKER_STEP_* and WERCKER_<STEP>_<PROP> for a step (docs/wercker-compat.md §3.3). The init step
 * is a registry step too.
 */
export function stepVariables(plan: RunPlan, step: PlannedStep): [string, string][] {
  const report = `${plan.paths.report}/${step.safeId}`;
  const vars: [string, string][] = [
    ['WERCKER_STEP_ROOT', `${plan.paths.root}/${step.safeId}`],
    ['WERCKER_STEP_ID', step.safeId],
    ['WERCKER_STEP_OWNER', step.owner],
    ['WERCKER_STEP_NAME', step.name],
    ['WERCKER_REPORT_NUMBERS_FILE', `${report}/numbers.ini`],
    ['WERCKER_REPORT_MESSAGE_FILE', `${report}/message.txt`],
    ['WERCKER_REPORT_ARTIFACTS_DIR', `${report}/artifacts`],
  ];
  const prefix = `WERCKER_${step.name.replace(/-/g, '_').toUpperCase()}_`;
  for (const [prop, value] of Object.entries(step.properties)) vars.push([prefix + prop.replace(/-/g, '_').toUpperCase(), value]);
  // werker also exports cwd (docs/wercker-compat.md §9.18): steps such as npm-install read
  // WERCKER_NPM_INSTALL_CWD.
  if (step.cwd !== undefined) vars.push([`${prefix}CWD`, step.cwd]);
  return vars;
}

