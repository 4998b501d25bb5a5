import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { WerkerError } from '../errors.ts';
import { PipelineEnv } from '../plan/environment.ts';
import type { PlannedStep, RunPlan } from '../plan/types.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { shortId } from '../util/ids.ts';
import { listingText, listStored } from './artifact-listing.ts';
import { storeArtifacts } from './artifacts.ts';
import { attachSession, createBox, envExports, type RunningBox } from './box.ts';
import { startBoxShell } from './box-shell.ts';
import { collectCache } from './cache.ts';
import { removeLeftovers } from './cleanup.ts';
import { openRunDir } from './run-dirs.ts';
import { dockerNetworkExports } from './docker-env.ts';
import { collectReportArtifacts } from './report-artifacts.ts';
import { showFailedServices } from './service-exits.ts';
import { removeBuiltImages } from './internal/built-images.ts';
import { commitAfterSteps, commitCheckpoint, stepsAfterCheckpoint } from './box-commit.ts';
import type { Bus, StepPhase } from './events.ts';
import { ensureImages } from './images.ts';
import { buildLocalServices } from './local-service.ts';
import { runLabels } from './labels.ts';
import { startServices, type RunningService } from './services.ts';
import type { SessionOptions, ShellSession } from './shell-session.ts';
import { packSource } from './source-archive.ts';
import { removeStepDirs, writeStepDirs } from './step-dirs.ts';
import type { RunDeps, RunResult } from './run-types.ts';
import { runStep } from './step-runner.ts';
import type { StepOutcome } from './step-context.ts';
import { quoteForExport, quoteLiteralForExport } from './quote-for-export.ts';
import { syncedExports } from './internal/synced-env.ts';
import { afterFailure, afterStepFailure } from './failure-box.ts';
import { keepsFailureState } from './failure-state.ts';
import { stepsFromResume } from './snapshot.ts';
import { hashingStream } from './source-archive.ts';
import { transcript } from './transcript.ts';

/** Tracks what a run created, so cleanup removes exactly that, whatever happened. */
interface Created {
  containers: string[];
  stepDirs?: boolean;
  services?: { name: string; containerId: string }[];
  network?: string;
  session?: ShellSession;
  /** Images the run made for its own use (local services), removed at the end. */
  images?: string[];
  /** The user ended the run in a watch (Ctrl-C): an error after that is not a cancellation. */
  stopped?: boolean;
  /** The hash of the source copied in ('mounted' with --direct-mount), for a snapshot's label. */
  sourceHash?: string;
  /** The setup phase (images, services, box) ended: a later error is no setup failure. */
  setUp?: boolean;
}

/**
 * Runs a planned pipeline to the end (docs/wercker-compat.md §4.1): images, network, services
 * (ready before the first step), the box and its shell, the steps, artifacts, the after-steps in a
 * restarted box, and cleanup — after success, failure, an error or cancellation. A failing step is
 * a result, not an exception; this throws only on bugs.
 */
export async function runPipeline(plan: RunPlan, deps: RunDeps): Promise<RunResult> {
  const { runtime, bus, signal } = deps;
  const started = Date.now();
  // From the first event on, the bus masks the plan's hidden values in everything it carries.
  bus.hide(new PipelineEnv(plan.env).secrets());
  const created: Created = { containers: [] };
  let result: RunResult;
  bus.emit({
    type: 'run.started', pipeline: plan.pipeline, box: plan.box.image, services: plan.services.map((s) => `${s.alias} (${s.image})`),
    steps: plan.steps.map((s) => s.displayName), afterSteps: plan.afterSteps.map((s) => s.displayName),
  });
  try {
    await removeLeftovers(runtime).catch(() => undefined);
    await openRunDir(plan);
    result = await execute(plan, deps, created, started);
  } catch (err) {
    const cancelled = signal?.aborted && !created.stopped;
    const e = err instanceof Error ? err : new Error(String(err));
    const hint = err instanceof WerkerError ? err.hint : undefined;
    result = { status: cancelled ? 'cancelled' : 'errored', exitCode: cancelled ? 130 : err instanceof WerkerError ? err.exitCode : 1, durationMs: 0 };
    if (!cancelled && !created.setUp) bus.emit({ type: 'phase.finished', phase: 'setup', status: 'failed', durationMs: Date.now() - started });
    if (!cancelled) bus.emit({ type: 'log', level: 'warn', text: e.message });
    result.durationMs = Date.now() - started;
    await cleanup(plan, runtime, created);
    bus.emit({ type: 'run.finished', status: result.status, durationMs: result.durationMs, ...(cancelled ? {} : { error: { message: e.message, ...(hint ? { hint } : {}) } }) });
    return result;
  }
  await cleanup(plan, runtime, created);
  result.durationMs = Date.now() - started;
  bus.emit({ type: 'run.finished', status: result.status, durationMs: result.durationMs });
  return result;
}

async function execute(plan: RunPlan, deps: RunDeps, created: Created, started: number): Promise<RunResult> {
  const { runtime, bus, signal } = deps;
  const labels = runLabels(plan.runId);
  const sent = deps.verbosity ? transcript(plan, deps.verbosity, bus) : undefined;
  warnIgnoredVolumes(plan, bus);
  await ensureImages(plan, runtime, bus, signal);
  await buildLocalServices(plan, deps, runPipeline, (image) => (created.images ??= []).push(image));
  signal?.throwIfAborted();
  const network = plan.options.dockerNetwork ?? `w-${shortId()}`;
  if (!plan.options.dockerNetwork) {
    await runtime.createNetwork(network, labels);
    created.network = network;
  }
  // The last service's readiness wait runs while the box is set up (its link variables are known
  // as soon as it is started); the first step waits for both. A setup that fails stops the wait.
  const setupFailed = new AbortController();
  const waitSignal = signal ? AbortSignal.any([signal, setupFailed.signal]) : setupFailed.signal;
  const { running: services, ready } = await startServices(plan, runtime, network, labels, bus, waitSignal, (id) => created.containers.push(id));
  created.services = services.map((s) => ({ name: s.plan.alias, containerId: s.containerId }));
  // Awaited below, after the setup; until then a rejection must not count as unhandled.
  ready.catch(() => undefined);
  let box: RunningBox;
  try {
    signal?.throwIfAborted();
    box = await setUpBox(plan, runtime, bus, created, network, labels, services, signal, sent);
  } catch (err) {
    setupFailed.abort();
    await ready.catch(() => undefined);
    throw err;
  }
  await ready;
  signal?.throwIfAborted();
  const boxId = box.containerId;
  created.setUp = true;
  bus.emit({ type: 'phase.finished', phase: 'setup', status: 'passed', durationMs: Date.now() - started });

  const scope = { network, labels };
  const { run: mainSteps, skipped } = stepsFromResume(plan) ?? stepsAfterCheckpoint(plan);
  const resume = plan.options.resume;
  const from = resume ? `Resuming from the snapshot of run ${resume.run}` : `Checkpoint ${plan.options.checkpoint?.name}`;
  if (skipped.length) bus.emit({ type: 'log', level: 'info', text: `${from}: skipping ${skipped.map((s) => s.displayName).join(', ')}` });
  // The earlier steps' exports, after the pipeline env as they came in the failed run (§8.4, werker's own).
  if (resume?.env.length) await hidden(box.session, resume.env.map(([k, v]) => quoteLiteralForExport(k, v)), 'restore the earlier steps\' environment');
  const main = await runPhase(plan, deps, boxId, box.session, mainSteps, 'main', scope);
  if (main.outcome.status === 'cancelled') return { status: 'cancelled', exitCode: 130, durationMs: Date.now() - started };
  created.stopped = main.stopped;
  const passed = main.outcome.status === 'passed';
  if (!passed) await showServiceLogs(runtime, bus, created.services ?? []);
  if (!passed && main.failed) {
    await afterFailure({ plan, runtime, containerId: boxId, session: box.session }, main.failed, main.outcome, deps, created.sourceHash ?? '', sessionOptions(bus, sent));
  } else if (keepsFailureState(plan) && box.session.alive) {
    // The failure trap (failure-state.ts) must not fire when the after-steps restart the box.
    await box.session.run(['trap - EXIT'], {});
  }
  const result: RunResult = { status: passed ? 'passed' : 'failed', exitCode: passed ? 0 : 1, durationMs: 0 };
  // The step's message also leaves the run outside the events (the result, the after-steps' env): masked there too.
  const failedMessage = main.outcome.message === undefined ? undefined : bus.mask(main.outcome.message);
  if (!passed && main.failed) result.failedStep = { name: main.failed.displayName, ...(failedMessage ? { message: failedMessage } : {}) };
  if (passed) await commitAfterSteps({ plan, runtime, containerId: boxId, session: box.session }, bus);
  // A failed store fails the run (docs/wercker-compat.md §4.7), after the after-steps have run with that result (§4.8).
  let storeFailure: WerkerError | undefined;
  if (passed && plan.options.artifacts) {
    try {
      const stored = await storeArtifacts(plan, runtime, boxId);
      // wercker's listing of the stored files (§4.10), bounded, before werker's count and size.
      bus.emit({ type: 'log', level: 'info', text: listingText(stored.from, await listStored(stored.dir)) });
      bus.emit({ type: 'artifacts.stored', path: stored.dir, files: stored.files, bytes: stored.bytes });
      result.artifactsDir = stored.dir;
    } catch (err) {
      if (!(err instanceof WerkerError)) throw err;
      storeFailure = err;
    }
  }
  if (plan.afterSteps.length) {
    box.session.close();
    created.session = await attachSession(runtime, boxId, true, sessionOptions(bus, sent));
    const resultVars = [quoteForExport('WERCKER_RESULT', passed && !storeFailure ? 'passed' : 'failed')];
    if (!passed && main.failed) {
      resultVars.push(quoteForExport('WERCKER_FAILED_STEP_DISPLAY_NAME', main.failed.displayName));
      resultVars.push(quoteForExport('WERCKER_FAILED_STEP_MESSAGE', failedMessage ?? ''));
    }
    await hidden(created.session, [...envExports(plan.env), ...dockerNetworkExports(plan, network), ...syncedExports(plan), ...resultVars], 'export the environment for the after-steps');
    // Ended by Ctrl-C in a watch, the signal is spent: the after-steps still run (a second
    // Ctrl-C stops werker at once, see cli/commands/run-pipeline.ts).
    const afterDeps = main.stopped ? { ...deps, signal: undefined } : deps;
    const after = await runPhase(plan, afterDeps, boxId, created.session, plan.afterSteps, 'after', scope);
    if (after.outcome.status === 'cancelled') return { status: 'cancelled', exitCode: 130, durationMs: Date.now() - started };
    if (after.failed) await afterStepFailure({ plan, runtime, containerId: boxId, session: created.session }, after.failed, after.outcome, afterDeps, sessionOptions(bus, sent));
  }
  // A failed run showed every service's last lines above; a passing one shows the services that died.
  if (passed) await showFailedServices(runtime, bus, created.services ?? []);
  if (!plan.options.directMount) await collectCache(plan, runtime, boxId, bus);
  if (storeFailure) throw storeFailure;
  return result;
}

/** wercker mounted `volumes` only with --enable-volumes (docs/wercker-compat.md §2.4): say that they are not mounted. */
function warnIgnoredVolumes(plan: RunPlan, bus: Bus): void {
  if (plan.options.enableVolumes) return;
  const owners = [...(plan.box.volumes.length ? ['the box'] : []), ...plan.services.filter((s) => s.volumes.length).map((s) => `service ${s.alias}`)];
  if (owners.length) bus.emit({ type: 'log', level: 'warn', text: `volumes of ${owners.join(', ')} are not mounted: pass --enable-volumes to mount them` });
}

/** A partial line is shown only up to where a secret could begin; output waits while a reporter (the log file) catches up. */
function sessionOptions(bus: Bus, sent?: SessionOptions['onSend']): SessionOptions {
  return { holdBack: (t) => bus.holdBack(t), congested: () => bus.congested(), ...(sent ? { onSend: sent } : {}) };
}

/** The box, its shell (checked to be one), the source and the pipeline env: everything before the first step. */
async function setUpBox(
  plan: RunPlan, runtime: ContainerRuntime, bus: Bus, created: Created, network: string, labels: Record<string, string>,
  services: RunningService[], signal: AbortSignal | undefined, sent: SessionOptions['onSend'],
): Promise<RunningBox> {
  const cacheDir = path.resolve(plan.workingDir, 'cache');
  await mkdir(cacheDir, { recursive: true });
  const stepBinds = await writeStepDirs(plan);
  created.stepDirs = true;
  const boxId = await createBox(plan, runtime, network, labels, services, cacheDir, stepBinds);
  created.containers.push(boxId);
  created.session = await startBoxShell(plan, runtime, boxId, sessionOptions(bus, sent), signal);
  created.sourceHash = await prepareGuest(plan, runtime, boxId, created.session);
  await hidden(created.session, [...envExports(plan.env), ...dockerNetworkExports(plan, network)], 'export the environment');
  return { containerId: boxId, session: created.session };
}

async function runPhase(
  plan: RunPlan, deps: RunDeps, containerId: string, session: ShellSession, steps: PlannedStep[], phase: StepPhase,
  scope: { network: string; labels: Record<string, string> },
): Promise<{ outcome: StepOutcome; failed?: PlannedStep; stopped?: boolean }> {
  const ctx = {
    plan, runtime: deps.runtime, containerId, session, bus: deps.bus, ...scope,
    ...(deps.signal ? { signal: deps.signal } : {}), ...(deps.terminal ? { terminal: deps.terminal } : {}),
  };
  for (const [i, step] of steps.entries()) {
    const outcome = await runStep(ctx, step, phase);
    if (outcome.status !== 'passed') {
      if (outcome.status === 'failed') deps.bus.emit({ type: 'phase.finished', phase, status: 'failed' });
      return { outcome, failed: step };
    }
    if (phase === 'main') await commitCheckpoint({ plan, runtime: deps.runtime, containerId, session }, step, deps.bus);
    // Ctrl-C ends a dev session by ending its watch: that step passes, and so does the run.
    if (outcome.stopRun) {
      const skipped = steps.slice(i + 1).map((s) => s.displayName);
      if (skipped.length) deps.bus.emit({ type: 'log', level: 'info', text: `Stopped: not running ${skipped.join(', ')}` });
      deps.bus.emit({ type: 'phase.finished', phase, status: 'passed' });
      return { outcome, stopped: true };
    }
  }
  deps.bus.emit({ type: 'phase.finished', phase, status: 'passed' });
  return { outcome: { status: 'passed', exitCode: 0 } };
}

/**
 * Guest setup (docs/wercker-compat.md §4.3), hidden: the cache copied from its read-only mount
 * and the source copied in as a tar stream (unless mounted), the output dir created. Nothing is
 * mounted under /pipeline, so it is an ordinary directory; each step copies its own dir in.
 */
async function prepareGuest(plan: RunPlan, runtime: ContainerRuntime, boxId: string, session: ShellSession): Promise<string> {
  const { paths } = plan;
  let sourceHash = 'mounted';
  await hidden(session, [`mkdir -p "${paths.root}" "${paths.base}" "${paths.output}" "${paths.report}"`], 'create the pipeline directories');
  if (!plan.options.directMount) {
    await hidden(session, [`rm -rf "${paths.cache}" && cp -r "${paths.mnt}/cache" "${paths.cache}"`], 'copy the cache in');
    const archive = packSource(plan.projectDir, { ignoreFile: plan.options.ignoreFile, workingDir: plan.workingDir });
    const hashed = hashingStream(archive);
    try {
      await runtime.putArchive(boxId, paths.base, hashed.stream);
      sourceHash = hashed.digest();
    } finally {
      // A copy that failed part way leaves the stream unread: destroying it ends the packer (tar) too.
      archive.destroy();
    }
  }
  await hidden(session, [`chmod a+rx "${paths.base}"`], 'prepare the source directory');
  return sourceHash;
}

/** A failed step often means a service misbehaved: show each service's last lines (the bus masks them). */
async function showServiceLogs(runtime: ContainerRuntime, bus: Bus, services: { name: string; containerId: string }[]): Promise<void> {
  for (const s of services) {
    const logs = await runtime.containerLogs(s.containerId, { tail: 20 }).catch(() => '');
    bus.emit({ type: 'service.logs', name: s.name, logs });
  }
}

async function hidden(session: ShellSession, lines: string[], what: string): Promise<void> {
  const r = await session.run(lines, {});
  if (r.kind !== 'exited' || r.status !== 0) {
    throw new WerkerError(`could not ${what} in the box (${r.kind === 'exited' ? `exit code ${r.status}` : r.kind})`, 1, {
      hint: 'the box image needs a POSIX shell (/bin/sh) with mkdir, chmod and cd',
    });
  }
}

async function cleanup(plan: RunPlan, runtime: ContainerRuntime, created: Created): Promise<void> {
  created.session?.close();
  if (created.stepDirs && plan.options.artifacts) await collectReportArtifacts(plan).catch(() => undefined);
  if (plan.options.noRemove) return;
  if (created.stepDirs) await removeStepDirs(plan).catch(() => undefined);
  await Promise.all(created.containers.map((id) => runtime.removeContainer(id, { force: true, volumes: true }).catch(() => undefined)));
  if (created.network) await runtime.removeNetwork(created.network).catch(() => undefined);
  for (const image of created.images ?? []) await runtime.removeImage(image).catch(() => undefined);
  // Anything else the run labelled (a container whose create call was interrupted, say).
  await removeLeftovers(runtime, { runId: plan.runId }).catch(() => undefined);
  await removeBuiltImages(plan, runtime);
}
