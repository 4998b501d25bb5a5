import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import { parseEnvFile } from '../plan/env-file.ts';
import { preparePlan, type ConfigWarnings, type PrepareOptions } from '../plan/prepare.ts';
import type { PlanInput } from '../plan/plan.ts';
import type { RunKind, RunPlan } from '../plan/types.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { assertPublishFlags } from './check-ports.ts';
import type { Output } from './output.ts';
import { renderDiagnostics } from '../report/diagnostics.ts';
import type { PipelineFlags } from './pipeline-options.ts';
import { commitOptions } from './commit-options.ts';
import { imageSettings } from '../plan/image-settings.ts';
import { guestRoots } from '../plan/guest-roots.ts';

/**
 * The CLI's way onto the one road (plan/prepare.ts): the pipeline flags as run options, the
 * process env and the ENVIRONMENT file as variables, and (when an engine is at hand) image
 * metadata. Returns the plan. Throws ConfigError / UsageError.
 */
export async function prepareRun(
  kind: RunKind, target: string, flags: PipelineFlags, environmentFile: string, runtime?: ContainerRuntime, warn?: ConfigWarnings,
): Promise<RunPlan> {
  const projectDir = path.resolve(target);
  const options = runOptions(flags, warn);
  const prepared = await preparePlan({
    project: { dir: projectDir, werckerYml: flags.werckerYml }, pipeline: flags.pipeline, kind, workingDir: path.resolve(flags.workingDir), options,
    variables: { from: 'host', env: hostEnv(flags), envFile: readEnvironment(environmentFile, projectDir) },
    overrides: overrides(flags), secrets: flags.secret, devSteps: flags.enableDevSteps !== false, stepSources: flags, imageInfo: runtime, engineHost: runtime?.host, warn,
  });
  return prepared.plan;
}

/** Prints a run's config warnings on stderr (stdout may carry --json). */
export function warnOn(out: Output): ConfigWarnings {
  return (warnings, text) => {
    if (warnings.length) out.stderr(`${renderDiagnostics(warnings, text, out.color)}\n`);
  };
}

/**
 * The ENVIRONMENT file: the one named, else `ENVIRONMENT` in the current directory (as wercker),
 * else the project's own (werker: so `werker build examples/x` finds its file). Missing is fine.
 */
function readEnvironment(file: string, projectDir: string): [string, string][] {
  const candidates = file === 'ENVIRONMENT' ? [path.resolve(file), path.join(projectDir, file)] : [path.resolve(file)];
  const found = candidates.find((f) => existsSync(f));
  return found ? parseEnvFile(readFileSync(found, 'utf8')) : [];
}

function minutes(flag: string, name: string): number {
  const n = Number(flag);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} takes minutes (a positive number), not "${flag}"`);
  return n;
}

function runOptions(flags: PipelineFlags, warn?: ConfigWarnings): PrepareOptions {
  const pull = flags.dockerLocal ? 'never' : flags.pull;
  if (pull !== 'missing' && pull !== 'always' && pull !== 'never') throw new UsageError(`--pull takes missing, always or never, not "${flags.pull}"`);
  assertPublishFlags(flags.publish);
  const options: PrepareOptions = {
    artifacts: Boolean(flags.artifacts), directMount: Boolean(flags.directMount), exposePorts: Boolean(flags.exposePorts),
    publish: flags.publish, pull, noRemove: flags.remove === false, enableVolumes: Boolean(flags.enableVolumes),
    dockerDns: flags.dockerDns, ignoreFile: flags.ignoreFile,
    shellOnFailure: Boolean(flags.shellOnFailure || flags.attachOnError), snapshot: flags.snapshot !== false,
    ...imageSettings(flags.imageMap, process.env, warn),
    // The wercker.yml's values replace these (plan/prepare.ts, docs/wercker-compat.md §4.9).
    commandTimeoutMs: minutes(flags.commandTimeout, 'command-timeout') * 60_000,
    noResponseTimeoutMs: minutes(flags.responseTimeout, 'no-response-timeout') * 60_000,
  };
  if (flags.deployTarget) options.deployTarget = flags.deployTarget;
  if (flags.dockerNetwork) options.dockerNetwork = flags.dockerNetwork;
  if (flags.dockerMemory) options.memoryMb = Number(flags.dockerMemory);
  if (flags.dockerMemorySwap) options.memorySwapMb = memorySwap(flags.dockerMemorySwap, options.memoryMb);
  // wercker's --attach-on-error opens the same shell (docs/wercker-compat.md §4.7); its messages name the flag given.
  if (flags.attachOnError && !flags.shellOnFailure) options.shellOnFailureFlag = '--attach-on-error';
  if (flags.guestRoot !== undefined || flags.mntRoot !== undefined || flags.reportRoot !== undefined) {
    options.guestRoots = guestRoots({ guest: flags.guestRoot, mnt: flags.mntRoot, report: flags.reportRoot });
  }
  if (flags.dockerCleanupImage) options.cleanupImage = true;
  Object.assign(options, commitOptions(flags));
  for (const m of flags.imageMap) if (!m.includes('=')) throw new UsageError(`--image-map takes FROM=TO, not "${m}"`);
  return options;
}

function overrides(flags: PipelineFlags): NonNullable<PlanInput['overrides']> {
  const o: NonNullable<PlanInput['overrides']> = {};
  const keys = ['runId', 'applicationId', 'applicationName', 'applicationOwnerName', 'gitDomain', 'gitOwner', 'gitRepository', 'gitBranch', 'gitCommit', 'gitTag', 'sourceDir', 'baseUrl'] as const;
  for (const k of keys) if (flags[k] !== undefined) o[k] = flags[k];
  return o;
}

/** The host env, with `--application-started-by-name` as the WERCKER_STARTED_BY it mirrors (docs/wercker-compat.md §8.3). */
function hostEnv(flags: PipelineFlags): NodeJS.ProcessEnv {
  return flags.applicationStartedByName ? { ...process.env, WERCKER_STARTED_BY: flags.applicationStartedByName } : process.env;
}

/**
 * `--docker-memory-swap` MB (docs/wercker-compat.md §8.3): the box's memory plus swap, as Docker
 * reads it, so it needs `--docker-memory` and may not be below it; -1 lets the box swap without limit.
 */
function memorySwap(flag: string, memoryMb: number | undefined): number {
  const mb = Number(flag);
  if (!Number.isFinite(mb) || (mb <= 0 && mb !== -1)) throw new UsageError(`--docker-memory-swap takes MB (a positive number, or -1 for no limit), not "${flag}"`);
  if (!memoryMb) throw new UsageError('--docker-memory-swap needs --docker-memory', { hint: 'Docker limits swap only together with memory: add --docker-memory MB (swap is memory plus swap, in MB)' });
  if (mb !== -1 && mb < memoryMb) throw new UsageError(`--docker-memory-swap ${flag} is less than --docker-memory ${memoryMb}`, { hint: 'the swap limit is memory plus swap: give at least the memory, e.g. twice it' });
  return mb;
}
