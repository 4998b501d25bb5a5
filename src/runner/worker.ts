import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConfigLimits } from '../config/validate.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { OWNER_FILE } from './checkout.ts';
import { executeJob } from './execute.ts';
import type { Job, RunnerBackend, RunnerFinish } from './protocol.ts';

export interface RunnerOptions {
  backend: RunnerBackend;
  runtime: ContainerRuntime;
  /** Shown in the run's log and recorded with each claim. */
  name: string;
  /** Runs at once (default 1). */
  concurrency?: number;
  /** Temp dirs of runs go here. */
  workRoot: string;
  /** How long an idle slot waits before asking again (default 1 s). */
  idlePollMs?: number;
  /** In-process runners get rung when a run is queued, so they don't wait for the poll. */
  wake?: (ring: () => void) => () => void;
  log?: (line: string) => void;
  /** Bounds on reading a run's wercker.yml (default: the server's defaults). */
  configLimits?: ConfigLimits;
}

export interface RunningRunner {
  /**
   * Stops taking runs; runs in progress get `graceMs` (default 0) to finish, then are stopped
   * and given back to the server (`release`: logged, queued again), their work dirs removed.
   */
  stop(options?: { graceMs?: number; reason?: string }): Promise<void>;
  /** Run ids being worked on now. */
  active(): number[];
}

/**
 * The runner loop, shared by the embedded runner and `werker runner`: each slot claims a run,
 * keeps its lease alive with heartbeats (a third of the lease), stops it when the server says
 * cancel or the lease is lost, and reports how it ended.
 */
export function startRunner(opts: RunnerOptions): RunningRunner {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const controllers = new Map<number, AbortController>();
  /** Runs this runner stopped itself (stop()): given back to the server, not reported as ended. */
  const givenBack = new Set<number>();
  const running = new Set<Promise<void>>();
  let stopping = false;
  let stopReason = `runner ${opts.name} stopped`;
  const sleepers = new Set<() => void>();
  const ringAll = () => [...sleepers].forEach((wake) => wake());
  const unwake = opts.wake?.(ringAll);
  const idle = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      sleepers.delete(done);
      resolve();
    }
    sleepers.add(done);
  });

  const runJob = async (job: Job): Promise<void> => {
    const controller = new AbortController();
    controllers.set(job.runId, controller);
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      log(`werker runner ${opts.name}: lost run ${job.runId} (attempt ${job.attempt}); stopping it`);
      controller.abort(new Error('this runner lost the run'));
    };
    const beat = setInterval(() => {
      opts.backend.heartbeat(job.runId, job.lease).then((answer) => {
        if (!answer) onLost();
        else if (answer.cancel && !controller.signal.aborted) controller.abort(new Error('cancelled'));
      }, (err: Error) => log(`werker runner ${opts.name}: heartbeat for run ${job.runId} failed: ${err.message}`));
    }, Math.max(200, Math.min(job.leaseMs / 3, 5000)));
    try {
      // executeJob reports what goes wrong inside the run; a work dir it can't even create is
      // reported here, or the run would sit "running" until its lease ran out, with no reason given.
      const result = await mkdir(opts.workRoot, { recursive: true })
        .then(() => executeJob(job, { backend: opts.backend, runtime: opts.runtime, workRoot: opts.workRoot, signal: controller.signal, onLost, ...(opts.configLimits ? { configLimits: opts.configLimits } : {}) }))
        .catch((err: Error): RunnerFinish => {
          const message = `runner ${opts.name} could not prepare the run: ${err.message}`;
          return { status: 'failed', durationMs: 0, message, error: { message, hint: `check that the runner's work dir ${opts.workRoot} can be written (--work-dir)` } };
        });
      if (lost) return;
      if (givenBack.has(job.runId)) await giveBack(job);
      else await report(job, result);
    } finally {
      clearInterval(beat);
      controllers.delete(job.runId);
    }
  };

  const giveBack = async (job: Job): Promise<void> => {
    const ok = await opts.backend.release(job.runId, job.lease, stopReason).catch((err: Error) => {
      log(`werker runner ${opts.name}: could not give run ${job.runId} back (${err.message}); it goes back to the queue when its lease ends`);
      return true;
    });
    if (!ok) log(`werker runner ${opts.name}: run ${job.runId} was no longer ours to give back`);
  };

  /** A finish that didn't reach the server is retried a few times; after that the lease decides. */
  const report = async (job: Job, result: RunnerFinish): Promise<void> => {
    for (let i = 0; i < 5; i++) {
      try {
        if (!(await opts.backend.finish(job.runId, job.lease, result))) log(`werker runner ${opts.name}: run ${job.runId} was no longer ours to finish`);
        return;
      } catch (err) {
        log(`werker runner ${opts.name}: reporting run ${job.runId} failed (${(err as Error).message}); retrying`);
        await new Promise((r) => setTimeout(r, 1000 * (i + 1)));
      }
    }
  };

  const slot = async (): Promise<void> => {
    let backoff = 500;
    while (!stopping) {
      let job: Job | undefined;
      try {
        job = await opts.backend.claim(opts.name);
        backoff = 500;
      } catch (err) {
        log(`werker runner ${opts.name}: asking for work failed: ${(err as Error).message}; retrying in ${backoff / 1000}s`);
        await idle(backoff);
        backoff = Math.min(backoff * 2, 15_000);
        continue;
      }
      if (!job) {
        await idle(opts.idlePollMs ?? 1000);
        continue;
      }
      const going = runJob(job).catch((err: Error) => log(`werker runner ${opts.name}: run ${job.runId}: ${err.stack ?? err.message}`));
      running.add(going);
      await going;
      running.delete(going);
    }
  };

  // Work dirs of runs no runner holds any more (this machine's runners that were killed): removed before the first claim.
  const swept = sweepWorkRoot(opts.workRoot, log);
  const slots = Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, () => swept.then(slot));
  return {
    async stop(options = {}) {
      stopping = true;
      if (options.reason) stopReason = options.reason;
      unwake?.();
      ringAll();
      if (options.graceMs && running.size) {
        log(`werker runner ${opts.name}: waiting up to ${options.graceMs / 1000} s for ${running.size} run(s) to finish`);
        await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, options.graceMs).unref())]);
      }
      for (const [runId, c] of controllers) {
        givenBack.add(runId);
        c.abort(new Error('the runner is stopping'));
      }
      await Promise.all(slots);
    },
    active: () => [...controllers.keys()],
  };
}

/**
 * Removes `run-*` dirs under the work root whose owner process is gone (killed runners leave
 * theirs behind). A dir owned by a live process, or by another machine (a shared disk), stays;
 * one without an owner file is removed only when older than a minute (it may be being created).
 */
export async function sweepWorkRoot(workRoot: string, log: (line: string) => void): Promise<string[]> {
  const removed: string[] = [];
  const entries = await readdir(workRoot).catch(() => [] as string[]);
  for (const name of entries.filter((n) => /^run-\d+-/.test(n))) {
    const dir = path.join(workRoot, name);
    const owner = await readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => undefined);
    if (owner === undefined ? await youngerThan(dir, 60_000) : !ownerGone(owner)) continue;
    await rm(dir, { recursive: true, force: true }).then(() => removed.push(dir), (err: Error) => log(`werker runner: could not remove the left-over work dir ${dir}: ${err.message}`));
  }
  if (removed.length) log(`werker runner: removed ${removed.length} work dir(s) of runs no runner holds any more in ${workRoot}`);
  return removed;
}

/** `host pid` of a live process on another machine can't be checked: only this machine's dead owners count. */
function ownerGone(owner: string): boolean {
  const [host, pidText] = owner.trim().split(' ');
  const pid = Number(pidText);
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return host === os.hostname();
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function youngerThan(dir: string, ms: number): Promise<boolean> {
  const info = await stat(dir).catch(() => undefined);
  return !info || Date.now() - info.mtimeMs < ms;
}
