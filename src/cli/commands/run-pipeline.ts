import path from 'node:path';
import { createBus, type EventSink } from '../../engine/events.ts';
import { runPipeline } from '../../engine/run.ts';
import type { RunKind, RunPlan } from '../../plan/types.ts';
import type { ContainerRuntime } from '../../runtime/runtime.ts';
import { resolveDeploySource } from '../deploy-source.ts';
import { lineReporter, logFileReporter, ndjsonReporter } from '../../report/reporters.ts';
import { connectDocker } from '../../runtime/docker/client.ts';
import type { Output } from '../output.ts';
import type { PipelineFlags } from '../pipeline-options.ts';
import { assertRunnable, prepareRun } from '../prepare-run.ts';

/**
 * `werker build|dev|deploy`: load → plan → run → report. Exit 0 passed, 1 failed, 2 bad config,
 * 3 no engine, 130 cancelled (Ctrl-C once stops cleanly; twice stops at once).
 */
export async function runPipelineCommand(kind: RunKind, target: string | undefined, flags: PipelineFlags, global: { environment: string }, out: Output): Promise<number> {
  const runtime = await connectDocker(flags.dockerHost ? { host: flags.dockerHost } : {});
  let source = { dir: target ?? '.', flags };
  if (kind === 'deploy') {
    const found = resolveDeploySource(target, flags);
    if (found.note) out.stderr(found.note);
    source = found;
  }
  const plan = await prepareRun(kind, source.dir, source.flags, global.environment, runtime);
  assertRunnable(plan);
  return executeRun(plan, runtime, flags, out);
}

/** run → report for a prepared plan: reporters, the run's log file, Ctrl-C handling. */
export async function executeRun(plan: RunPlan, runtime: ContainerRuntime, flags: Pick<PipelineFlags, 'json'>, out: Output): Promise<number> {
  const log = logFileReporter(path.join(plan.workingDir, 'logs', `${plan.runId}.log`));
  const sinks: EventSink[] = [log.sink, flags.json ? ndjsonReporter((t) => out.stdout(t)) : lineReporter((t) => out.stdout(t), out.color)];
  const bus = createBus(plan.runId, sinks);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      out.stderr(`\n${sig}: stopping the run and removing its containers (again to stop at once)`);
      controller.abort(new Error(`interrupted by ${sig}`));
    } else {
      out.stderr('stopping now; `werker cleanup` removes what is left');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runPipeline(plan, { runtime, bus, signal: controller.signal });
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await log.close();
  }
}
