import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../config/diagnostics.ts';
import { loadPipeline } from '../config/load.ts';
import type { WerckerConfig } from '../config/schema.ts';
import { parseStepId } from '../config/steps.ts';
import { ConfigError, UsageError } from '../errors.ts';
import { hostEnvironment, parseEnvFile } from '../plan/env-file.ts';
import { planRun, withImageInfo } from '../plan/plan.ts';
import type { RunKind, RunOptions, RunPlan } from '../plan/types.ts';
import { readGitInfo } from '../runtime/git.ts';
import { resolveStepPackages } from '../steps/resolve.ts';
import { stepResolution } from '../steps/resolution.ts';
import type { ContainerRuntime, ImageInfo } from '../runtime/runtime.ts';
import { assertPublishFlags } from './check-ports.ts';
import { applyDevSteps } from './dev-steps.ts';
import type { Output } from './output.ts';
import { renderDiagnostics } from '../report/diagnostics.ts';
import type { PipelineFlags } from './pipeline-options.ts';
import { commitOptions } from './commit-options.ts';
import { imageSettings } from './image-settings.ts';

/**
 * load → plan: reads the wercker.yml and the ENVIRONMENT file, gathers git facts and (when an
 * engine is at hand) image metadata, and returns the plan. Throws ConfigError / UsageError.
 */
export async function prepareRun(
  kind: RunKind, target: string, flags: PipelineFlags, environmentFile: string, runtime?: ContainerRuntime, warn?: ConfigWarnings,
): Promise<RunPlan> {
  const projectDir = path.resolve(target);
  const loaded = await loadPipeline(projectDir, flags.pipeline, flags.werckerYml);
  const { config } = loaded;
  const { pipeline, warnings: devStepWarnings } = applyDevSteps(loaded.pipeline, flags.enableDevSteps !== false, loaded.loaded.file);
  warn?.(warningsFor(pipeline.name, config, [...loaded.loaded.diagnostics, ...devStepWarnings]), loaded.loaded.text);
  const workingDir = path.resolve(flags.workingDir);
  if (workingDir === projectDir) throw new UsageError("Project path can't be the same as the working dir", { hint: 'pass --working-dir DIR' });
  const options = runOptions(flags, config.commandTimeout, config.noResponseTimeout, config.ignoreFile, warn);
  const hostEnv = hostEnvironment(process.env, readEnvironment(environmentFile, projectDir));
  const git = await readGitInfo(projectDir);
  const steps = [...(options.deployTarget ? pipeline.deployTargets[options.deployTarget] ?? [] : pipeline.steps), ...pipeline.afterSteps];
  const packages = await resolveStepPackages(steps, { projectDir, workingDir, ...stepResolution(config.file, flags) });
  const plan = planRun({ config, pipeline, kind, projectDir, workingDir, hostEnv, git, options, overrides: overrides(flags), secrets: new Set(flags.secret), packages });
  if (!runtime) return plan;
  // With an engine at hand, the images' EXPOSEd ports give the link-variable names steps will see.
  const info = new Map<string, ImageInfo>();
  for (const image of new Set(plan.services.map((s) => s.image))) {
    const found = await runtime.inspectImage(image).catch(() => undefined);
    if (found) info.set(image, found);
  }
  return withImageInfo(plan, (image) => info.get(image));
}

/** Receives the config's warnings that concern the run (positioned, with hints) before it starts. */
export type ConfigWarnings = (warnings: Diagnostic[], sourceText: string) => void;

/** Prints a run's config warnings on stderr (stdout may carry --json). */
export function warnOn(out: Output): ConfigWarnings {
  return (warnings, text) => {
    if (warnings.length) out.stderr(`${renderDiagnostics(warnings, text, out.color)}\n`);
  };
}

/**
 * The warnings a run shows: the file's own and its pipeline's, not those about other pipelines
 * (check-config lists everything).
 */
function warningsFor(name: string, config: WerckerConfig, diagnostics: Diagnostic[]): Diagnostic[] {
  const others = new Set(Object.keys(config.pipelines).filter((p) => p !== name));
  return diagnostics.filter((d) => d.severity === 'warning' && !others.has(d.path.split('.')[0]!));
}

/** Unresolved steps fail the run before anything starts, each with its position. */
export function assertRunnable(plan: RunPlan): void {
  const bad = [...plan.steps, ...plan.afterSteps].filter((s) => s.status !== 'ready');
  if (!bad.length) return;
  throw new ConfigError(bad.map((s) => ({
    severity: 'error' as const, code: 'step-unavailable', file: plan.configFile, line: s.at?.line ?? 0, col: s.at?.col ?? 0,
    path: `${plan.pipeline}.${plan.afterSteps.includes(s) ? 'after-steps' : 'steps'}`, message: s.problem ?? `step ${s.id} cannot run`,
    hint: s.kind === 'registry' && parseStepId(s.id) && !s.problem?.startsWith('Dev mode')
      ? 'werker brings its own packages for the most used steps (see steps/); others come from step sources (--step-source, WERKER_STEP_SOURCES, werker.config.yml; see the README), or a "file://" or git URL after the step name'
      : undefined,
  })), existsSync(plan.configFile) ? readFileSync(plan.configFile, 'utf8') : undefined);
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

function runOptions(flags: PipelineFlags, ymlCommand?: number, ymlResponse?: number, ymlIgnore?: string, warn?: ConfigWarnings): RunOptions {
  const pull = flags.dockerLocal ? 'never' : flags.pull;
  if (pull !== 'missing' && pull !== 'always' && pull !== 'never') throw new UsageError(`--pull takes missing, always or never, not "${flags.pull}"`);
  assertPublishFlags(flags.publish);
  const options: RunOptions = {
    artifacts: Boolean(flags.artifacts), directMount: Boolean(flags.directMount), exposePorts: Boolean(flags.exposePorts),
    publish: flags.publish, pull, noRemove: flags.remove === false, enableVolumes: Boolean(flags.enableVolumes),
    dockerDns: flags.dockerDns, ignoreFile: flags.ignoreFile ?? ymlIgnore ?? '.werckerignore',
    ...imageSettings(flags.imageMap, process.env, warn),
    // wercker: yml values > 0 replace the flags (docs/wercker-compat.md §4.9).
    commandTimeoutMs: (ymlCommand ?? minutes(flags.commandTimeout, 'command-timeout')) * 60_000,
    noResponseTimeoutMs: (ymlResponse ?? minutes(flags.responseTimeout, 'no-response-timeout')) * 60_000,
  };
  if (flags.deployTarget) options.deployTarget = flags.deployTarget;
  if (flags.dockerNetwork) options.dockerNetwork = flags.dockerNetwork;
  if (flags.dockerMemory) options.memoryMb = Number(flags.dockerMemory);
  Object.assign(options, commitOptions(flags));
  return options;
}

function overrides(flags: PipelineFlags): NonNullable<Parameters<typeof planRun>[0]['overrides']> {
  const o: NonNullable<Parameters<typeof planRun>[0]['overrides']> = {};
  const keys = ['runId', 'applicationId', 'applicationName', 'applicationOwnerName', 'gitDomain', 'gitOwner', 'gitRepository', 'gitBranch', 'gitCommit', 'gitTag', 'sourceDir'] as const;
  for (const k of keys) if (flags[k] !== undefined) o[k] = flags[k];
  return o;
}
