import { userInfo } from 'node:os';
import path from 'node:path';
import { expandVars } from '../config/interpolate.ts';
import type { ImageSpec, PipelineSpec, StepSpec, WerckerConfig } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import type { ImageInfo } from '../runtime/runtime.ts';
import type { GitInfo } from '../runtime/git.ts';
import { objectId, uuid } from '../util/ids.ts';
import { shellSplit } from '../util/shell-words.ts';
import { PipelineEnv, passThrough, type EnvVar } from './environment.ts';
import { formatImageRef, lowerRepository, parseImageRef, shortName } from './image-ref.ts';
import { describeOrigin, resolveImage } from './image-map.ts';
import { DEFAULT_GUEST_ROOTS } from './guest-roots.ts';
import { inferPullImage } from './registry-host.ts';
import { INIT_SH, scriptRunSh } from './init-step.ts';
import { linkVarNames } from './link-vars.ts';
import type { PackageLookup } from '../steps/resolve.ts';
import type { GuestPaths, PlannedImage, PlannedService, PlannedStep, RunKind, RunOptions, RunPlan, ServiceWait } from './types.ts';

export const DEFAULT_BOX_CMD = '/bin/sh -c "if [ -e /bin/bash ]; then /bin/bash; else /bin/sh; fi"';

export interface PlanInput {
  config: WerckerConfig;
  pipeline: PipelineSpec;
  kind: RunKind;
  projectDir: string;
  workingDir: string;
  /** Host env with the ENVIRONMENT file merged in (plan/env-file.ts). */
  hostEnv: Map<string, string>;
  git: GitInfo;
  options: RunOptions;
  /** Flag overrides: --git-branch, --application-name, --run-id, --secret … */
  overrides?: Partial<Record<'gitBranch' | 'gitCommit' | 'gitTag' | 'gitDomain' | 'gitOwner' | 'gitRepository' | 'applicationId' | 'applicationName' | 'applicationOwnerName' | 'runId' | 'sourceDir' | 'baseUrl', string>>;
  secrets?: ReadonlySet<string>;
  dockerHost?: string;
  /** Registry step packages, resolved beforehand (steps/resolve.ts); without it they stay unresolved. */
  packages?: PackageLookup;
  /**
   * Every pipeline env value came from a request to a werker server (its variables, key pairs,
   * branch, application): export each one literally, never expanded by the box's shell
   * (docs/wercker-compat.md §3.6, where the server deliberately differs from wercker).
   */
  literalEnv?: boolean;
}

/** The internal steps werker implements (engine/internal/); others fail the plan. */
export const INTERNAL_STEPS = ['docker-push', 'docker-scratch-push', 'docker-build', 'docker-run', 'docker-kill', 'release', 'watch', 'shell', 'publish-step', 'store-container'] as const;

/** (config, pipeline, options) → RunPlan. Pure: no I/O. */
export function planRun(input: PlanInput): RunPlan {
  const { config, pipeline, kind, options } = input;
  const runId = input.overrides?.runId || (kind === 'deploy' ? uuid() : objectId());
  const paths = guestPaths(config, pipeline, input.overrides?.sourceDir, options.guestRoots);
  const env = pipelineEnv(input, runId, paths);
  const boxSpec = pipeline.box ?? config.box;
  if (!boxSpec) throw new UsageError(`No box definition found for pipeline ${pipeline.name}`, { hint: 'add "box: IMAGE" at the top level or in the pipeline' });
  // §8.4: `--checkpoint N` runs the box committed at checkpoint N.
  const box = planImage(options.checkpoint ? { ...boxSpec, tag: `w-${options.checkpoint.name}` } : boxSpec, env, options);
  const keyPath = pipeline.services ? `${pipeline.name}.services` : 'services';
  const services = (pipeline.services ?? config.services).map((s, i) => {
    const svc = planService(s, env, options, runId);
    return s.url ? localService(svc, s, `${keyPath}[${i}]`, input) : svc;
  });
  const mainSteps = options.deployTarget ? pipeline.deployTargets[options.deployTarget] : pipeline.steps;
  if (!mainSteps) {
    throw new UsageError(`pipeline ${pipeline.name} has no deploy target ${options.deployTarget}`, {
      hint: `deploy targets in ${pipeline.name}: ${Object.keys(pipeline.deployTargets).join(', ') || 'none'}`,
    });
  }
  const plan = (s: StepSpec, i: number) => planStep(s, i + 2, input.packages);
  const steps = [initStep(), ...mainSteps.map(plan)];
  const afterSteps = pipeline.afterSteps.length ? [initStep(), ...pipeline.afterSteps.map(plan)] : [];
  return {
    runId, kind, pipeline: pipeline.name,
    projectDir: input.projectDir, workingDir: input.workingDir, configFile: config.file,
    box: { ...box, cmd: box.cmd ?? shellSplit(DEFAULT_BOX_CMD), containerName: `wercker-pipeline-${runId}` },
    services, steps, afterSteps, env: env.vars, paths, docker: pipeline.docker,
    ...(pipeline.docker ? { dockerHost: dockerHostOf(input) } : {}),
    // `docker: true` mounts the engine's socket, which in wercker forced --enable-volumes (docs/wercker-compat.md §4.2).
    options: pipeline.docker && !options.enableVolumes ? { ...options, enableVolumes: true } : options,
  };
}

/** docs/wercker-compat.md §4.3: everything under the three roots (`--guest-root`, `--mnt-root`, `--report-root`). */
function guestPaths(config: WerckerConfig, pipeline: PipelineSpec, flagSourceDir?: string, roots = DEFAULT_GUEST_ROOTS): GuestPaths {
  const root = roots.guest;
  const base = pipeline.basePath || `${root}/source`;
  const sub = pipeline.sourceDir || config.sourceDir || flagSourceDir || '';
  return {
    root, base, sourceDir: sub ? path.posix.join(base, sub) : base,
    cache: `${root}/cache`, output: `${root}/output`, report: roots.report, mnt: roots.mnt,
  };
}

function pipelineEnv(input: PlanInput, runId: string, paths: GuestPaths): PipelineEnv {
  const o = input.overrides ?? {};
  const appName = o.applicationName || path.basename(input.projectDir);
  const owner = o.applicationOwnerName || safeUser() || 'wercker';
  const appId = o.applicationId || appName;
  // wercker's default base URL (docs/wercker-compat.md §3.2); a server run passes its own, `--base-url` another.
  const baseUrl = o.baseUrl || 'https://app.wercker.com';
  const runUrl = `${baseUrl}/${owner}/${appName}/runs/${input.pipeline.name}/${runId}`;
  const b: [string, string][] = [
    ['WERCKER', 'true'], ['WERCKER_ROOT', `${paths.root}/source`], ['WERCKER_SOURCE_DIR', paths.sourceDir],
    ['WERCKER_CACHE_DIR', paths.cache], ['WERCKER_OUTPUT_DIR', paths.output], ['WERCKER_PIPELINE_DIR', paths.root],
    ['WERCKER_REPORT_DIR', `${paths.root}/report`], ['WERCKER_APPLICATION_ID', appId], ['WERCKER_APPLICATION_NAME', appName],
    ['WERCKER_APPLICATION_OWNER_NAME', owner], ['WERCKER_APPLICATION_URL', `${baseUrl}/#applications/${appId}`],
    ['TERM', 'xterm-256color'],
  ];
  if (input.kind === 'deploy') b.push(['DEPLOY', 'true']);
  else b.push(['BUILD', 'true'], ['CI', 'true']);
  b.push(['WERCKER_RUN_ID', runId], ['WERCKER_RUN_URL', runUrl]);
  if (input.kind === 'deploy') b.push(['WERCKER_DEPLOY_ID', runId], ['WERCKER_DEPLOY_URL', runUrl]);
  else b.push(['WERCKER_BUILD_ID', runId], ['WERCKER_BUILD_URL', runUrl]);
  // wercker set it for a deploy only, though build and dev run a deploy target's steps too (docs/wercker-compat.md §3.2).
  if (input.kind === 'deploy' && input.options.deployTarget) b.push(['WERCKER_DEPLOYTARGET_NAME', input.options.deployTarget]);
  b.push(
    ['WERCKER_GIT_DOMAIN', o.gitDomain ?? ''], ['WERCKER_GIT_OWNER', o.gitOwner || safeUser()],
    ['WERCKER_GIT_REPOSITORY', o.gitRepository ?? ''], ['WERCKER_GIT_BRANCH', o.gitBranch ?? input.git.branch],
    ['WERCKER_GIT_COMMIT', o.gitCommit ?? input.git.commit], ['WERCKER_GIT_TAG', o.gitTag ?? input.git.tag],
  );
  const pass = passThrough(input.hostEnv, input.secrets);
  const docker: EnvVar[] = input.pipeline.docker
    ? [{ name: 'DOCKER_HOST', value: dockerHostOf(input), hidden: false }]
    : [];
  const vars: EnvVar[] = [
    ...b.map(([name, value]) => ({ name, value, hidden: false })),
    ...pass.mirrored, ...pass.public.filter((v) => !(docker.length && v.name === 'DOCKER_HOST')), ...docker, ...pass.hidden,
  ];
  return new PipelineEnv(input.literalEnv ? vars.map((v) => ({ ...v, literal: true })) : vars);
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

function planImage(spec: ImageSpec, env: PipelineEnv, options: RunOptions): PlannedImage {
  const x = (s: string) => expandVars(s, env.lookup);
  const written = formatImageRef(parseImageRef(x(spec.id), spec.tag !== undefined ? x(spec.tag) : undefined));
  // docs/wercker-compat.md §2.4: the repository is lower-cased for pulls (`werker-test/BusyBox`).
  // §2.4: a host-less image given with `registry` is pulled from that registry.
  const inferred = inferPullImage(formatImageRef(lowerRepository(parseImageRef(written))), spec.auth.registry ? x(spec.auth.registry) : undefined);
  const mapped = resolveImage(inferred.image, options.imageMap);
  const image = formatImageRef(lowerRepository(parseImageRef(mapped.image)));
  const planned: PlannedImage = {
    written, image, ...(mapped.rule ? { mappedBy: describeOrigin(mapped.rule.origin) } : {}),
    env: Object.entries(spec.env).map(([k, v]) => [k, x(v)]),
    ports: spec.ports,
    volumes: spec.volumes ? planVolumes(spec.volumes, x) : [],
  };
  if (spec.cmd) planned.cmd = shellSplit(spec.cmd);
  if (spec.entrypoint) planned.entrypoint = shellSplit(spec.entrypoint);
  if (spec.auth.username || spec.auth.password) {
    planned.auth = { username: x(spec.auth.username ?? ''), password: x(spec.auth.password ?? '') };
    planned.auth.serveraddress = inferred.serverAddress;
  }
  return planned;
}

/**
 * `volumes` as bind mounts (docs/wercker-compat.md §2.4): the string is split on spaces and
 * commas, each entry `host:ctr` at its first ':' (a lone `path` is both sides), and each side is
 * expanded on its own; always read-write. Mounted only with --enable-volumes (or `docker: true`).
 */
export function planVolumes(text: string, expand: (s: string) => string): string[] {
  return text.split(/[\s,]+/).filter(Boolean).map((entry) => {
    const colon = entry.indexOf(':');
    const [host, container] = colon < 0 ? [entry, entry] : [entry.slice(0, colon), entry.slice(colon + 1)];
    return `${expand(host)}:${expand(container)}:rw`;
  });
}

function planService(
  spec: ImageSpec, env: PipelineEnv, options: RunOptions, runId: string,
): PlannedService {
  const image = planImage(spec, env, options);
  const alias = spec.name || shortName(image.written);
  const containerName = `wercker-service-${(spec.name || image.written).replace(/\//g, '-')}-${runId}`.replace(/:/g, '_');
  const linkPrefix = alias.replace(/-/g, '_').toUpperCase();
  const planned = { ...image, alias, linkPrefix, containerName, wait: planWait(spec), linkVarNames: [] };
  return { ...planned, linkVarNames: serviceLinkNames(planned) };
}

/**
 * A service with `url: file://<dir>#<pipeline>` (docs/wercker-compat.md §5.4): built, not pulled.
 * Its alias and container name come from `id`/`name` as for any service.
 */
function localService(svc: PlannedService, spec: ImageSpec, keyPath: string, input: PlanInput): PlannedService {
  const url = spec.url!;
  const position = `${input.config.file}:${spec.at.line}:${spec.at.col} ${keyPath}`;
  const m = /^file:\/\/([^#]*)(?:#(.*))?$/.exec(url);
  if (!m || !m[1]) {
    throw new UsageError(`${position} (${svc.alias}): url "${url}" is not file://<dir>#<pipeline>`, {
      hint: 'a service\'s url names another project on this machine, e.g. url: file://../api#build (the dir is relative to this project)',
    });
  }
  const nestedRunId = objectId();
  const forwarded = [...input.hostEnv].filter(([k]) => k.startsWith('X_') || k.startsWith('XXX_') || k === 'WERCKER_STARTED_BY' || k === 'WERCKER_MAIN_PIPELINE_STARTED');
  const local = {
    url, dir: path.resolve(input.projectDir, m[1]), pipeline: m[2] || 'build', runId: nestedRunId, position,
    hostEnv: forwarded, secrets: [...(input.secrets ?? [])],
  };
  return { ...svc, written: url, image: `run-${nestedRunId}:latest`, local };
}

/** Link variable names of a service, from its ports and env plus the image's when known. */
function serviceLinkNames(svc: Omit<PlannedService, 'linkVarNames'>, info?: ImageInfo): string[] {
  const exposed = [...new Set([...(info?.exposedPorts ?? []), ...svc.ports.map(portProto)])];
  const envNames = [...new Set([...(info?.env ?? []).map((e) => e.split('=')[0]!), ...svc.env.map(([k]) => k)])];
  return linkVarNames(svc.linkPrefix, exposed, envNames);
}

/** The plan with link-variable names completed from image metadata (EXPOSE, ENV). */
export function withImageInfo(plan: RunPlan, info: (image: string) => ImageInfo | undefined): RunPlan {
  return { ...plan, services: plan.services.map((s) => ({ ...s, linkVarNames: serviceLinkNames(s, info(s.image)) })) };
}

/** `5432` → `5432/tcp`; `8000:80` → `80/tcp`; `1.2.3.4:8000:80/udp` → `80/udp`. */
export function portProto(port: string): string {
  const last = port.split(':').at(-1)!;
  return last.includes('/') ? last : `${last}/tcp`;
}

function planWait(spec: ImageSpec): ServiceWait {
  const w = spec.wait ?? {};
  const wait: ServiceWait = { timeoutMs: (Number(w.timeout) > 0 ? Number(w.timeout) : 120) * 1000 };
  if (w.port) wait.ports = w.port.split(/[\s,]+/).map(Number).filter((n) => n > 0);
  if (w.command) wait.command = w.command;
  if (w.http) wait.http = w.http;
  if (w.log) wait.log = w.log;
  return wait;
}

function initStep(): PlannedStep {
  return {
    index: 1, id: 'wercker/wercker-init@2.1.0', kind: 'init', owner: 'wercker', name: 'wercker-init', version: '2.1.0',
    displayName: 'wercker-init', safeId: `wercker-init-${uuid()}`, properties: {}, files: { 'init.sh': INIT_SH }, status: 'ready',
    scripts: { init: true, run: false },
  };
}

const INTERNAL_NAMES: Record<string, string> = {
  'docker-push': 'docker push', 'docker-scratch-push': "docker scratch'n'push", 'docker-build': 'docker build',
  'docker-run': 'docker run', 'docker-kill': 'docker kill', watch: 'watch', shell: 'shell',
  'store-container': 'store container', 'publish-step': 'publish step',
};

function planStep(spec: StepSpec, index: number, packages?: PackageLookup): PlannedStep {
  const base: PlannedStep = {
    index, id: spec.id, kind: spec.kind, owner: spec.owner, name: spec.name, version: spec.version,
    displayName: spec.displayName ?? (spec.kind === 'internal' ? INTERNAL_NAMES[spec.name] ?? spec.id : spec.name),
    safeId: `${spec.name}-${uuid()}`, properties: spec.properties, files: {}, status: 'ready', at: spec.at,
    scripts: { init: false, run: false },
  };
  if (spec.cwd !== undefined) base.cwd = spec.cwd;
  if (spec.propertyAt) base.propertyAt = spec.propertyAt;
  if (spec.checkpoint !== undefined) base.checkpoint = spec.checkpoint;
  if (spec.displayName !== undefined) base.nameProperty = spec.displayName;
  // A step wercker read but could not have run (docs/wercker-compat.md §2.5): it fails the run.
  if (spec.problem) return { ...base, status: 'unresolved', problem: spec.problem };
  if (spec.kind === 'script') {
    const { code = '', ...rest } = spec.properties;
    return { ...base, properties: rest, files: { 'run.sh': scriptRunSh(code) }, scripts: { init: false, run: true } };
  }
  if (spec.kind === 'internal') {
    if ((INTERNAL_STEPS as readonly string[]).includes(spec.name)) return base;
    return { ...base, status: 'unresolved', problem: `werker has no internal step "${spec.id}" (it has ${INTERNAL_STEPS.map((n) => `internal/${n}`).join(', ')})` };
  }
  const found = packages?.(spec) ?? `the step "${spec.id}" was not looked up`;
  if (typeof found === 'string') return { ...base, status: 'unresolved', problem: found };
  // Every manifest property is exported: the yml value, else its default, else ""
  // (docs/wercker-compat.md §3.3). `bucket-url` and `bucket_url` set the same
  // WERCKER_<STEP>_BUCKET_URL, so the yml may write either form of a manifest property (wercker's
  // own step READMEs mix them).
  const written = new Map(Object.entries(spec.properties).map(([k, v]) => [propertyKey(k), v]));
  const properties: Record<string, string> = {};
  for (const p of found.manifest.properties) properties[p.name] = written.get(propertyKey(p.name)) ?? p.default ?? '';
  // Undeclared yml keys are exported too, except `code`: only script steps use it (§3.3).
  const { code: _code, ...undeclared } = spec.properties;
  Object.assign(properties, found.manifest.properties.some((p) => p.name === 'code') ? spec.properties : undeclared);
  const missing = found.manifest.properties.filter((p) => p.required && !written.get(propertyKey(p.name)) && !p.default).map((p) => p.name);
  const step: PlannedStep = { ...base, properties, packageDir: found.dir, scripts: found.scripts, source: found.source };
  if (missing.length) {
    return { ...step, status: 'unresolved', problem: `step "${spec.id}" needs ${missing.map((m) => `"${m}"`).join(', ')} (required by its ${found.manifest.file || 'manifest'})` };
  }
  return step;
}

/** A property's name as its variable names it (docs/wercker-compat.md §3.3: `-` → `_`, upper-cased). */
const propertyKey = (name: string): string => name.replaceAll('-', '_').toUpperCase();

/** A `docker: true` box's engine: the one werker reached, else the default socket (docs/wercker-compat.md §4.2). */
const dockerHostOf = (input: PlanInput): string => input.dockerHost ?? 'unix:///var/run/docker.sock';
