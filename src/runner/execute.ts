import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConfigLimits } from '../config/validate.ts';
import type { Diagnostic } from '../config/diagnostics.ts';
import { ConfigError, WerkerError } from '../errors.ts';
import { createBus, type RunEvent, type RunEventBody } from '../engine/events.ts';
import { runPipeline } from '../engine/run.ts';
import type { HeldBox } from '../engine/run-types.ts';
import { imageSettings } from '../plan/image-settings.ts';
import { assertRunnable, preparePlan, type PrepareOptions } from '../plan/prepare.ts';
import { DEFAULT_COMMAND_TIMEOUT_MIN, DEFAULT_NO_RESPONSE_TIMEOUT_MIN } from '../plan/types.ts';
import { renderDiagnostics } from '../report/diagnostics.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { shortId } from '../util/ids.ts';
import { checkoutCommit, extractTar, OWNER_FILE, packDir } from './checkout.ts';
import { DEFAULT_CONFIG_LIMITS } from './limits.ts';
import type { Job, RunnerBackend, RunnerEvent, RunnerFinish } from './protocol.ts';
import { restoreSharedCache, storeSharedCache } from './shared-cache.ts';
import { workflowEnvFile, workflowSource } from './workflow-inputs.ts';
import { resumeOrStart, snapshotScope, snapshotStepOf } from './resume.ts';
import { holdForTerminals } from './terminal-host.ts';
import { Masker } from '../util/mask.ts';

export interface ExecuteDeps {
  backend: RunnerBackend;
  runtime: ContainerRuntime;
  /** Where the run's temp dir goes. */
  workRoot: string;
  /** Aborts the run (cancel, lease lost, runner stopping). */
  signal: AbortSignal;
  /** Called when the server said this runner no longer holds the run. */
  onLost(): void;
  /** Bounds on reading the run's wercker.yml (default: the server's defaults, limits.ts). */
  configLimits?: ConfigLimits;
}

/** Diagnostics written into a run's log; a file with thousands of warnings gets a count for the rest. */
const LOGGED_DIAGNOSTICS = 50;

/**
 * One claimed run, start to end, on this machine: check out the commit into a temp dir, take
 * the source run's output when it deploys one, load and plan the pipeline with the job's
 * variables (protected ones hidden, so the engine masks them), run it on the engine with its
 * events streamed to the server in batches, upload a build's output, and remove the temp dir.
 * Returns how the run ended (the caller reports it with `finish`).
 */
export async function executeJob(job: Job, deps: ExecuteDeps): Promise<RunnerFinish> {
  const started = Date.now();
  const events = new EventUplink(job, deps.backend, deps.onLost);
  const log = (text: string, level: 'info' | 'warn' = 'info') => events.push({ type: 'log', level, text });
  const temp = await mkdtemp(path.join(deps.workRoot, `run-${job.runId}-`));
  try {
    // Whose dir this is: a runner starting on this machine removes the dirs of dead owners (worker.ts).
    await writeFile(path.join(temp, OWNER_FILE), `${os.hostname()} ${process.pid}\n`);
    const sourceDir = path.join(temp, 'source');
    log(`checking out ${job.commit.slice(0, 12)} (${job.branch}) of ${job.application.name}`);
    await checkoutCommit(job.application.repository, job.commit, sourceDir).catch((err: Error) => {
      throw new WerkerError(`could not check out ${job.commit.slice(0, 12)} of ${job.application.repository}: ${err.message}`, 1, {
        hint: 'the runner clones the repository itself: it must reach the URL (a local path only works on the machine that has it)',
      });
    });
    let projectDir = sourceDir;
    if (job.workflow) {
      projectDir = await workflowSource(job, job.workflow, deps.backend, { checkout: sourceDir, temp }, log);
    } else if (job.sourceRunId !== null) {
      const tar = await deps.backend.sourceOutput(job.runId, job.lease);
      if (!tar) throw new WerkerError(`the output of run ${job.sourceRunId} is gone`, 1, { hint: 'run its build again, then this deploy' });
      projectDir = path.join(temp, 'output');
      await extractTar(tar, projectDir);
      log(`deploying the output of run ${job.sourceRunId}`);
    }
    const workingDir = path.join(temp, 'work');
    const { plan: planned } = await preparePlan({
      project: { dir: projectDir, werckerYml: path.join(sourceDir, 'wercker.yml'), limits: deps.configLimits ?? DEFAULT_CONFIG_LIMITS },
      pipeline: job.pipeline, kind: job.kind, workingDir, options: runOptions(job), variables: { from: 'server', variables: job.variables, envFile: await workflowEnvFile(sourceDir, job.workflow?.envFile) },
      git: { branch: job.branch, commit: job.commit, tag: '' },
      engineHost: deps.runtime.host,
      overrides: {
        runId: `${job.application.name}-${job.runId}-${job.attempt}-${shortId()}`, applicationId: String(job.application.id), applicationName: job.application.name,
        applicationOwnerName: 'werker', gitBranch: job.branch, gitCommit: job.commit, baseUrl: job.baseUrl, ...repoFacts(job.application.repository),
      },
    });
    assertRunnable(planned);
    const plan = await resumeOrStart(planned, job, deps.runtime, log);
    // The engine copies <working dir>/cache into $WERCKER_CACHE_DIR and collects it back (§4.10).
    const cacheDir = path.join(workingDir, 'cache');
    await restoreSharedCache(job, deps.backend, cacheDir, log);
    const bus = createBus(String(job.runId), [(e) => events.engine(e)]);
    const holdFailedBox = job.terminalMs && deps.runtime.execInteractive
      ? (box: HeldBox) => holdForTerminals(box, { job, backend: deps.backend, windowMs: job.terminalMs!, masker: hiddenMasker(plan), signal: deps.signal, log })
      : undefined;
    const result = await runPipeline(plan, { runtime: deps.runtime, bus, signal: deps.signal, ...(holdFailedBox ? { holdFailedBox } : {}) });
    await events.flush();
    if (result.status === 'passed' && storesOutput(job)) {
      const out = path.join(workingDir, 'builds', plan.runId, 'output');
      if (existsSync(out)) await deps.backend.putOutput(job.runId, job.lease, packDir(out));
    }
    if (result.status === 'passed') await storeSharedCache(job, deps.backend, cacheDir, temp, log);
    const status = result.status === 'errored' ? 'failed' : result.status;
    const finished = events.finished;
    const snapshotStep = status === 'failed' ? await snapshotStepOf(plan, deps.runtime) : undefined;
    return {
      status, durationMs: Date.now() - started, ...(snapshotStep ? { snapshotStep } : {}),
      ...(result.failedStep ? { message: `step ${result.failedStep.name} failed${result.failedStep.message ? `: ${result.failedStep.message}` : ''}` } : {}),
      ...(finished?.type === 'run.finished' && finished.error ? { error: finished.error, message: finished.error.message } : {}),
    };
  } catch (err) {
    if (deps.signal.aborted) {
      return { status: 'cancelled', durationMs: Date.now() - started, message: 'cancelled before the pipeline started' };
    }
    const e = err as Error;
    const text = err instanceof ConfigError ? renderSome(err.diagnostics, err.sourceText) : e.message;
    const hint = err instanceof WerkerError ? err.hint : undefined;
    for (const line of text.split('\n')) log(line, 'warn');
    if (hint) log(`hint: ${hint}`, 'warn');
    await events.flush();
    const message = err instanceof ConfigError ? 'invalid wercker.yml (see the log)' : e.message;
    return { status: 'failed', durationMs: Date.now() - started, message, error: { message, ...(hint ? { hint } : {}) } };
  } finally {
    await events.flush().catch(() => undefined);
    await rm(temp, { recursive: true, force: true });
  }
}

/** The errors first, at most LOGGED_DIAGNOSTICS of them all, and how many more there were. */
function renderSome(diagnostics: readonly Diagnostic[], source: string | undefined): string {
  const ordered = [...diagnostics.filter((d) => d.severity === 'error'), ...diagnostics.filter((d) => d.severity !== 'error')];
  const shown = renderDiagnostics(ordered.slice(0, LOGGED_DIAGNOSTICS), source, false);
  const rest = ordered.length - LOGGED_DIAGNOSTICS;
  return rest > 0 ? `${shown}\n… and ${rest} more (run \`werker check-config\` on the commit to see them all)` : shown;
}

/** The run's protected values, for masking its terminals (the engine's bus masks the log with the same). */
function hiddenMasker(plan: { env: { hidden?: boolean; value: string }[] }): Masker {
  return new Masker(plan.env.filter((v) => v.hidden).map((v) => v.value));
}

/** Builds, and every workflow pipeline (docs/wercker-compat.md §4.11); an older server's job says nothing: builds. */
const storesOutput = (job: Job): boolean => job.artifacts ?? job.kind === 'build';

function repoFacts(repository: string): { gitDomain?: string; gitOwner?: string; gitRepository?: string } {
  const m = repository.match(/^(?:\w+:\/\/)?(?:[^@/]+@)?([^/:]+)[/:]([^/]+)\/([^/]+?)(?:\.git)?\/?$/);
  if (!m || repository.startsWith('/')) return { gitRepository: path.basename(repository).replace(/\.git$/, '') };
  return { gitDomain: m[1]!, gitOwner: m[2]!, gitRepository: m[3]! };
}

/** A server's run: a build keeps its output; the wercker.yml may set the timeouts and the ignore file (§4.9). */
function runOptions(job: Job): PrepareOptions {
  return {
    // A failed run keeps a snapshot of its box on this runner for "Retry from this step" (resume.ts).
    snapshot: true, snapshotScope: snapshotScope(job),
    artifacts: storesOutput(job), directMount: false, exposePorts: false, publish: [], pull: 'missing', noRemove: false, enableVolumes: false,
    // The runner machine's image map and registry mirrors (WERKER_IMAGE_MAP, its user config file), as for a local run.
    ...imageSettings([], process.env),
    commandTimeoutMs: DEFAULT_COMMAND_TIMEOUT_MIN * 60_000, noResponseTimeoutMs: DEFAULT_NO_RESPONSE_TIMEOUT_MIN * 60_000,
  };
}

/**
 * Sends events to the server in order, in batches (at most every 200 ms, or at 200 events).
 * The engine's run.finished is kept back: the runner reports it with `finish`, with the status.
 */
class EventUplink {
  #pending: RunnerEvent[] = [];
  #sending: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  finished: RunEvent | undefined;

  constructor(readonly job: Job, readonly backend: RunnerBackend, readonly onLost: () => void) {}

  engine(e: RunEvent): void {
    if (e.type === 'run.finished') {
      this.finished = e;
      return;
    }
    const { runId: _r, seq: _s, ...body } = e;
    // The runner's temp dir is gone after the run; what lasts is the output the server keeps.
    if (body.type === 'artifacts.stored') body.path = `run ${this.job.runId}'s output on the server`;
    this.push(body as RunEventBody & { at: string });
  }

  push(body: RunnerEvent): void {
    this.#pending.push({ at: new Date().toISOString(), ...body });
    if (this.#pending.length >= 200) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), 200);
  }

  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending.splice(0);
    if (batch.length) {
      this.#sending = this.#sending.then(async () => {
        // A server that is briefly away (restart, network) gets the batch later, in order.
        for (let attempt = 1; ; attempt++) {
          try {
            if (!(await this.backend.appendEvents(this.job.runId, this.job.lease, batch))) this.onLost();
            return;
          } catch (err) {
            if (attempt === 5) {
              process.stderr.write(`werker runner: dropped ${batch.length} events of run ${this.job.runId}: ${(err as Error).message}\n`);
              return;
            }
            await new Promise((r) => setTimeout(r, 500 * attempt));
          }
        }
      });
    }
    return this.#sending;
  }
}
