import { existsSync, readFileSync } from 'node:fs';
import type { Diagnostic } from '../config/diagnostics.ts';
import { loadPipeline, type LoadedConfig } from '../config/load.ts';
import type { PipelineSpec, WerckerConfig } from '../config/schema.ts';
import { parseStepId } from '../config/steps.ts';
import type { ConfigLimits } from '../config/validate.ts';
import { ConfigError, UsageError } from '../errors.ts';
import { readGitInfo, type GitInfo } from '../runtime/git.ts';
import type { ContainerRuntime, ImageInfo } from '../runtime/runtime.ts';
import { resolveStepPackages } from '../steps/resolve.ts';
import { stepResolution } from '../steps/resolution.ts';
import { applyDevSteps } from './dev-steps.ts';
import { planRun, withImageInfo, type PlanInput } from './plan.ts';
import type { RunKind, RunOptions, RunPlan } from './types.ts';
import { hostEnvOf, type VariableSource } from './variables.ts';

/**
 * The project a run starts from: its directory, and the wercker.yml read from it (or from
 * `werckerYml`, within `limits`), or a pipeline its caller loaded already.
 */
export interface ProjectSource {
  dir: string;
  werckerYml?: string | undefined;
  limits?: ConfigLimits | undefined;
  loaded?: LoadedPipeline;
}

export type LoadedPipeline = Awaited<ReturnType<typeof loadPipeline>>;

/**
 * The run's options as its caller asks for them. The wercker.yml fills in the ignore file when
 * none is given, and its timeouts replace these (docs/wercker-compat.md §4.9) unless `keepTimeouts`.
 */
export type PrepareOptions = Omit<RunOptions, 'ignoreFile'> & { ignoreFile?: string | undefined };

export interface PrepareInput {
  project: ProjectSource;
  pipeline: string;
  kind: RunKind;
  /** Where werker keeps builds, cache and step packages (absolute); never the project dir. */
  workingDir: string;
  options: PrepareOptions;
  variables: VariableSource;
  /** Branch, commit and tag; default: read from the project dir. */
  git?: GitInfo;
  overrides?: PlanInput['overrides'];
  /** `--secret NAME`: X_NAME is hidden and masked too. */
  secrets?: readonly string[];
  /** Dev steps run unless false (`--enable-dev-steps=false`, docs/wercker-compat.md §6). */
  devSteps?: boolean;
  /** Step sources beyond the config files' (`--step-source`, `--steps-registry`, docs/wercker-compat.md §7.2). */
  stepSources?: { stepSource?: string[] | undefined; stepsRegistry?: string | undefined };
  /** The timeouts are final: a local service's nested build keeps its parent run's (§5.4). */
  keepTimeouts?: boolean;
  /** An engine to read the images' EXPOSEd ports from, which name the link variables steps see (§5.3). */
  imageInfo?: ContainerRuntime | undefined;
  /**
   * The engine's address as werker reached it (`unix:///…`, `tcp://host:port`): a `docker: true`
   * pipeline's DOCKER_HOST (docs/wercker-compat.md §4.2); without it, the default socket.
   */
  engineHost?: string | undefined;
  /** Told the config's warnings about this run before anything slow happens. */
  warn?: ConfigWarnings | undefined;
}

/** Receives the config's warnings that concern the run (positioned, with hints) before it starts. */
export type ConfigWarnings = (warnings: Diagnostic[], sourceText: string) => void;

export interface PreparedRun {
  plan: RunPlan;
  loaded: LoadedConfig;
  config: WerckerConfig;
  /** The pipeline as it runs (dev steps left out when they are off). */
  pipeline: PipelineSpec;
  /** Where its steps were looked for, and the lock file (steps/resolution.ts). */
  resolution: ReturnType<typeof stepResolution>;
  /** The warnings `warn` was told. */
  warnings: Diagnostic[];
}

/**
 * load → plan, the one road every run takes (the CLI's build/dev/deploy/plan/workflow, a
 * server's runner, a local service's nested build): reads the wercker.yml, gathers variables
 * and git facts, resolves the step packages, and plans the run. Throws ConfigError / UsageError.
 */
export async function preparePlan(input: PrepareInput): Promise<PreparedRun> {
  const { project, kind, workingDir } = input;
  const loaded = input.project.loaded ?? await loadPipeline(project.dir, input.pipeline, project.werckerYml, project.limits);
  const { config } = loaded;
  const { pipeline, warnings: devStepWarnings } = applyDevSteps(loaded.pipeline, input.devSteps !== false, loaded.loaded.file);
  const warnings = warningsFor(pipeline.name, config, [...loaded.loaded.diagnostics, ...devStepWarnings]);
  input.warn?.(warnings, loaded.loaded.text);
  if (workingDir === project.dir) throw new UsageError("Project path can't be the same as the working dir", { hint: 'pass --working-dir DIR' });
  const options = withYmlSettings(input.options, config, input.keepTimeouts === true);
  const { hostEnv, literal } = hostEnvOf(input.variables);
  const git = input.git ?? await readGitInfo(project.dir);
  const steps = [...(options.deployTarget ? pipeline.deployTargets[options.deployTarget] ?? [] : pipeline.steps), ...pipeline.afterSteps];
  const resolution = stepResolution(config.file, input.stepSources);
  const packages = await resolveStepPackages(steps, { projectDir: project.dir, workingDir, ...resolution });
  const planned = planRun({
    config, pipeline, kind, projectDir: project.dir, workingDir, hostEnv, git, options, packages,
    ...(input.engineHost ? { dockerHost: input.engineHost } : {}),
    ...(literal ? { literalEnv: true } : {}), ...(input.overrides ? { overrides: input.overrides } : {}), ...(input.secrets ? { secrets: new Set(input.secrets) } : {}),
  });
  const plan = input.imageInfo ? await withExposedPorts(planned, input.imageInfo) : planned;
  return { plan, loaded: loaded.loaded, config, pipeline, resolution, warnings };
}

/** wercker: yml values > 0 replace the flags; the ignore file is the flag's, else the yml's (docs/wercker-compat.md §4.9). */
function withYmlSettings(asked: PrepareOptions, config: WerckerConfig, keepTimeouts: boolean): RunOptions {
  const options: RunOptions = { ...asked, ignoreFile: asked.ignoreFile ?? config.ignoreFile ?? '.werckerignore' };
  if (keepTimeouts) return options;
  if (config.commandTimeout !== undefined) options.commandTimeoutMs = config.commandTimeout * 60_000;
  if (config.noResponseTimeout !== undefined) options.noResponseTimeoutMs = config.noResponseTimeout * 60_000;
  return options;
}

/** The images' EXPOSEd ports give the link-variable names steps will see; an image not at hand adds none. */
async function withExposedPorts(plan: RunPlan, runtime: ContainerRuntime): Promise<RunPlan> {
  const info = new Map<string, ImageInfo>();
  for (const image of new Set(plan.services.map((s) => s.image))) {
    const found = await runtime.inspectImage(image).catch(() => undefined);
    if (found) info.set(image, found);
  }
  return withImageInfo(plan, (image) => info.get(image));
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
