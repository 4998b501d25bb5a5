import type { EnvVar } from './environment.ts';
import type { ImageMapRule } from './image-map.ts';
import type { GuestRoots } from './guest-roots.ts';
import type { RegistryMirror } from './registry-mirrors.ts';

export type RunKind = 'build' | 'dev' | 'deploy';

/** An image to run, after `$VAR` expansion and the image map. */
export interface PlannedImage {
  /** What the wercker.yml says (after expansion), e.g. `mdillon/postgis`. */
  written: string;
  /** What werker runs, e.g. `werker-test/postgis:latest`. */
  image: string;
  /** The image map rule that turned `written` into `image` (`--image-map`, `WERKER_IMAGE_MAP`, `file:line`). */
  mappedBy?: string;
  cmd?: string[];
  entrypoint?: string[];
  /** Container env from the yml (`env:`), keys upper-cased, values expanded. */
  env: [string, string][];
  ports: string[];
  /** Bind mounts `host:ctr:rw`, sides expanded (plan.ts planVolumes); used only with --enable-volumes. */
  volumes: string[];
  auth?: { username?: string; password?: string; serveraddress?: string };
}

/**
 * A service built from a local project (`url: file://<dir>#<pipeline>`, docs/wercker-compat.md
 * §5.4): that pipeline runs as a nested build, its box is committed as `image`, and that runs.
 */
export interface LocalServiceSource {
  url: string;
  /** The project dir, absolute (the url's dir is relative to this project). */
  dir: string;
  pipeline: string;
  /** The nested build's run id; the image is `run-<runId>:latest`. */
  runId: string;
  /** Where the service is written: `<file>:<line>:<col> <pipeline>.services[<i>]` (or top-level `services[<i>]`). */
  position: string;
  /** What of the host env reaches the nested build too (X_, XXX_, WERCKER_STARTED_BY …), and --secret names. */
  hostEnv: [string, string][];
  secrets: string[];
}

export interface PlannedService extends PlannedImage {
  /** Built from a local project instead of pulled. */
  local?: LocalServiceSource;
  /** Network alias and link-variable prefix source (`name`, else the image's short name). */
  alias: string;
  /** `POSTGIS` for alias `postgis`. */
  linkPrefix: string;
  containerName: string;
  wait: ServiceWait;
  /** Link variable names the box will see (values are known once the service runs). */
  linkVarNames: string[];
}

export interface ServiceWait {
  /** Ports that must accept connections; undefined = every exposed TCP port. */
  ports?: number[];
  command?: string;
  http?: string;
  log?: string;
  timeoutMs: number;
}

export type StepStatus = 'ready' | 'unresolved';

export interface PlannedStep {
  /** 1-based position within its phase. */
  index: number;
  /** As written, e.g. `nahody/npm-install@1.1.1`. */
  id: string;
  kind: 'script' | 'internal' | 'registry' | 'init';
  owner: string;
  name: string;
  version: string;
  displayName: string;
  /** The `name:` property as written (docker-run/kill use it as the container name). */
  nameProperty?: string;
  /** `<name>-<uuid>`: the step's directory under /pipeline and /report. */
  safeId: string;
  cwd?: string;
  /** `checkpoint: N` (docs/wercker-compat.md §8.4): once passed, the box is committed as `<repo>:w-N`. */
  checkpoint?: string;
  /** Properties as text; exported as WERCKER_<STEP>_<PROP>. */
  properties: Record<string, string>;
  /** Generated files for the step's directory (script run.sh, wercker-init's init.sh). */
  files: Record<string, string>;
  /** Host directory of the step's package, copied into its directory (registry steps). */
  packageDir?: string;
  /** Which scripts to source: init.sh first, then run.sh (reading /dev/null). */
  scripts: { init: boolean; run: boolean };
  /** Where the package came from (built-in, cache, file, git, tarball), for `werker plan`. */
  source?: string;
  status: StepStatus;
  /** Why it cannot run yet (status 'unresolved'), with what to do. */
  problem?: string;
  at?: { line: number; col: number };
  /** Where each property's key is written (option errors name file:line:col). */
  propertyAt?: Record<string, { line: number; col: number }>;
}

export interface GuestPaths {
  root: string;
  /** Where the source is placed (`/pipeline/source` or base-path). */
  base: string;
  /** WERCKER_SOURCE_DIR: base + source-dir. */
  sourceDir: string;
  cache: string;
  output: string;
  report: string;
  /** Where the host's step dirs and cache are mounted read-only, to be copied into /pipeline (`--mnt-root`). */
  mnt: string;
}

export interface RunOptions {
  /**
   * `--commit REPO` (`--tag`, `--message`): the box committed after the steps pass
   * (docs/wercker-compat.md §4.10); a local service's nested build commits this way too (§5.4).
   */
  commit?: { repo: string; tag?: string; message?: string };
  /** `--checkpoint N` (§8.4): the box is `<repo>:w-N`; with dev steps on, steps up to `N` are skipped. */
  checkpoint?: { name: string; skip: boolean };
  artifacts: boolean;
  directMount: boolean;
  exposePorts: boolean;
  publish: string[];
  pull: 'missing' | 'always' | 'never';
  noRemove: boolean;
  enableVolumes: boolean;
  dockerNetwork?: string;
  dockerDns?: string[];
  memoryMb?: number;
  /** `--docker-memory-swap` MB: the box's memory plus swap, -1 unlimited (docs/wercker-compat.md §8.3). */
  memorySwapMb?: number;
  ignoreFile: string;
  /** The image map: `--image-map` rules, then WERKER_IMAGE_MAP's, then the user config file's (§6.4). */
  imageMap: ImageMapRule[];
  /** Registry mirrors from the user config file, tried before the registry they stand in for. */
  registryMirrors?: RegistryMirror[];
  deployTarget?: string;
  commandTimeoutMs: number;
  noResponseTimeoutMs: number;
  /** `--shell-on-failure`: a shell in the box where a main step failed (docs/wercker-compat.md §8.4, werker's own). */
  shellOnFailure?: boolean;
  /** The flag that asked for it, for its messages: `--shell-on-failure` unless wercker's `--attach-on-error` (§4.7). */
  shellOnFailureFlag?: '--attach-on-error';
  /** Keep a snapshot of the box when a main step fails, for `--resume` (docs/wercker-compat.md §8.4, werker's own). */
  snapshot?: boolean;
  /**
   * What a snapshot belongs to instead of the project dir: a runner's checkout is a temp dir per
   * run, so it names the server's application and pipeline (engine/snapshot.ts).
   */
  snapshotScope?: string;
  /** `--resume` / `--from-step`: run from a snapshot (engine/snapshot.ts). */
  resume?: ResumeFrom;
  /** `--guest-root`, `--mnt-root`, `--report-root` (docs/wercker-compat.md §4.3); default /pipeline, /mnt, /report. */
  guestRoots?: GuestRoots;
  /** `--docker-cleanup-image` (docs/wercker-compat.md §8.3): the pushed tags are removed from the engine after the push. */
  cleanupImage?: boolean;
  /** `--tag` (else $WERCKER_GIT_BRANCH on the host), with or without `--commit`: internal/store-container's tag (§6.8). */
  tag?: string;
}

/** Where a resumed run starts: the snapshot image, the first main step to run, and the earlier steps' exports. */
export interface ResumeFrom {
  image: string;
  /** The box as planned (the snapshot's record of it; a later snapshot records this again). */
  boxImage: string;
  /** The snapshot's source tree hash (engine/source-archive.ts), to say whether the source changed. */
  sourceHash: string;
  /** Index in `steps` of the first step to run again (wercker-init always runs too). */
  fromIndex: number;
  /** The earlier steps' exports, hidden values restored from this run's own (never stored). */
  env: [string, string][];
  /** The run that left the snapshot, and the step it failed in. */
  run: string;
  failedStep: string;
}

/**
 * wercker's defaults, in minutes, when neither a flag nor the wercker.yml sets the timeouts
 * (docs/wercker-compat.md §4.9).
 */
export const DEFAULT_COMMAND_TIMEOUT_MIN = 25;
export const DEFAULT_NO_RESPONSE_TIMEOUT_MIN = 5;

/** Everything a run will do, as data: `werker plan` prints it, the engine executes it. */
export interface RunPlan {
  runId: string;
  kind: RunKind;
  pipeline: string;
  projectDir: string;
  workingDir: string;
  configFile: string;
  box: PlannedImage & { containerName: string };
  services: PlannedService[];
  steps: PlannedStep[];
  afterSteps: PlannedStep[];
  /** Pipeline environment in export order (built-ins, mirrored, X_, hidden). */
  env: EnvVar[];
  paths: GuestPaths;
  docker: boolean;
  /**
   * With `docker: true`: the engine's address as werker reached it, the box's DOCKER_HOST and,
   * for a unix socket, the path mounted into the box (docs/wercker-compat.md §4.2). Never taken
   * from the pipeline's variables, which may not choose what is mounted.
   */
  dockerHost?: string;
  options: RunOptions;
}
