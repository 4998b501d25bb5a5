import { existsSync } from 'node:fs';
import path from 'node:path';
import { removeLeftovers } from '../../engine/cleanup.ts';
import { createBus, type EventSink } from '../../engine/events.ts';
import { runPipeline } from '../../engine/run.ts';
import { resumePlan } from '../../engine/snapshot.ts';
import type { RunKind, RunPlan } from '../../plan/types.ts';
import type { ContainerRuntime } from '../../runtime/runtime.ts';
import { resolveDeploySource } from '../deploy-source.ts';
import { lineReporter, logFileReporter, ndjsonReporter } from '../../report/reporters.ts';
import { connectDocker } from '../../runtime/docker/client.ts';
import { dockerConnection } from '../docker-flags.ts';
import type { Output } from '../output.ts';
import type { PipelineFlags } from '../pipeline-options.ts';
import { assertPortsFree } from '../check-ports.ts';
import { pullCacheFrom } from '../cache-from.ts';
import { assertRunnable } from '../../plan/prepare.ts';
import { prepareRun, warnOn } from '../prepare-run.ts';
import { processTerminal } from '../terminal.ts';
import { fetchProject, isProjectUrl } from '../project-url.ts';

/**
 * `werker build|dev|deploy`: load → plan → run → report. Exit 0 passed, 1 failed or a bad
 * wercker.yml (cli.ts maps it, as wercker exited), 2 bad flags (a port to publish that is taken,
 * too), 3 no engine, 130 cancelled (Ctrl-C once stops
 * cleanly; twice removes the run's containers at once and exits). Ctrl-C during internal/watch
 * ends a dev session normally: the watch passes, after-steps run, exit 0.
 */
export async function runPipelineCommand(kind: RunKind, target: string | undefined, flags: PipelineFlags, global: { environment: string }, out: Output): Promise<number> {
  const runtime = await connectDocker(dockerConnection(flags));
  if (isProjectUrl(target)) ({ target, flags } = await downloadedProject(target, flags, out));
  let source = { dir: target ?? '.', flags };
  if (kind === 'deploy') {
    const found = resolveDeploySource(target, flags);
    if (found.note) out.stderr(found.note);
    source = found;
  }
  let plan = await prepareRun(kind, source.dir, source.flags, global.environment, runtime, warnOn(out));
  assertRunnable(plan);
  if (flags.resume || flags.fromStep !== undefined) {
    const resumed = await resumePlan(plan, runtime, flags.fromStep);
    for (const note of resumed.notes) out.stderr(note);
    plan = resumed.plan;
  }
  await assertPortsFree(plan, runtime.host);
  await pullCacheFrom(plan, flags, out);
  return executeRun(plan, runtime, flags, out);
}

/**
 * An http(s) target (docs/wercker-compat.md §4.3): downloaded and unpacked into the working dir,
 * then run as a project dir. It has no git checkout, so the git facts are "" unless flags give
 * them (the working dir may sit inside another repository, whose facts are not the tarball's).
 */
export async function downloadedProject(url: string, flags: PipelineFlags, out: Output): Promise<{ target: string; flags: PipelineFlags }> {
  out.stderr(`Downloading the project from ${url}`);
  const { dir } = await fetchProject(url, path.resolve(flags.workingDir));
  out.stderr(`Unpacked into ${dir}`);
  if (existsSync(path.join(dir, '.git'))) return { target: dir, flags };
  return { target: dir, flags: { ...flags, gitBranch: flags.gitBranch ?? '', gitCommit: flags.gitCommit ?? '', gitTag: flags.gitTag ?? '' } };
}

/** run → report for a prepared plan: reporters, the run's log file, Ctrl-C handling. */
export async function executeRun(plan: RunPlan, runtime: ContainerRuntime, flags: Pick<PipelineFlags, 'json' | 'verbosity' | 'suppressBuildLogs'>, out: Output): Promise<number> {
  const log = logFileReporter(path.join(plan.workingDir, 'logs', `${plan.runId}.log`));
  const reporter = flags.json ? ndjsonReporter((t) => out.write(t)) : lineReporter((t) => out.write(t), out.color);
  // wercker's --suppress-build-logs (docs/wercker-compat.md §8.3): the steps' output stays off the screen, not out of the log file.
  const screen: EventSink = flags.suppressBuildLogs ? (e) => e.type !== 'step.output' && reporter(e) : reporter;
  let interrupts = 0;
  // Once a second Ctrl-C removes the containers under the run, what the run says next is noise.
  const sinks: EventSink[] = [log.sink, (e) => interrupts < 2 && screen(e)];
  const bus = createBus(plan.runId, sinks);
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      out.stderr(`\n${sig}: stopping the run and removing its containers (again to remove them at once)`);
      controller.abort(new Error(`interrupted by ${sig}`));
    } else if (interrupts === 2) {
      out.stderr('stopping now: removing the run\'s containers (again to exit at once; `werker cleanup` removes what is left)');
      const forced = AbortSignal.timeout(15_000);
      forced.addEventListener('abort', () => process.exit(130));
      void removeLeftovers(runtime, { runId: plan.runId }).catch(() => undefined).finally(() => process.exit(130));
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // An interactive step (internal/shell) gets the terminal, unless stdout carries --json.
    const terminal = flags.json ? undefined : processTerminal();
    const result = await runPipeline(plan, { runtime, bus, signal: controller.signal, ...(terminal ? { terminal } : {}), ...(flags.verbosity ? { verbosity: flags.verbosity } : {}) });
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await log.close();
  }
}
