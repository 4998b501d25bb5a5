import { Option, type Command } from 'commander';
import { DEFAULT_COMMAND_TIMEOUT_MIN, DEFAULT_NO_RESPONSE_TIMEOUT_MIN } from '../plan/types.ts';
import type { Verbosity } from '../engine/transcript.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The flags of build / dev / deploy / plan (docs/wercker-compat.md §8.3), wercker's names where it
 * had them.
 */
export function addPipelineOptions(cmd: Command, defaults: { pipeline: string; directMount: boolean; noDefaultPath?: boolean }): Command {
  const env = process.env;
  if (defaults.noDefaultPath) cmd.argument('[path]', 'project directory, a build\'s output, or an http(s) URL of a tarball (default: the latest build\'s output, else .)');
  else cmd.argument('[path]', 'project directory, or an http(s) URL of its tarball', '.');
  return cmd
    .option('--pipeline <name>', 'pipeline to run', env.WERCKER_PIPELINE ?? defaults.pipeline)
    .option('--deploy-target <name>', 'run this deploy target\'s steps instead of steps', env.WERCKER_DEPLOYTARGET_NAME)
    .option('--working-dir <dir>', 'where werker keeps builds, cache and logs', env.WERCKER_WORKING_DIR ?? '.werker')
    .option('--wercker-yml <file>', 'use this file instead of the project\'s wercker.yml', env.WERCKER_YML_FILE)
    .option('--json', 'print events as JSON lines on stdout')
    .option('--docker-host <url>', 'Docker engine address (default DOCKER_HOST or the local socket)')
    .option('--image-map <from=to>', 'run image TO where the yml says FROM (repeatable)', collect, [])
    .option('--pull <when>', 'pull images: missing (default), always, never', 'missing')
    .option('--docker-local', 'never pull (wercker\'s flag; same as --pull never)')
    .option('--secret <name>', 'treat X_<name> as hidden and mask it (repeatable)', collect, [])
    .option('--artifacts', 'copy the output dir out to <working-dir>/builds/<run>/output')
    .option(defaults.directMount ? '--no-direct-mount' : '--direct-mount', defaults.directMount ? 'copy the source instead of mounting it' : 'mount the project read-write instead of copying it')
    .option('--expose-ports', 'publish the box\'s and services\' ports')
    .option('--publish <port>', 'publish a box port, PORT or HOST:CONTAINER (repeatable)', collect, [])
    .option('--enable-volumes', 'mount the box\'s and services\' volumes')
    .option('--no-remove', 'keep containers and the network after the run')
    .option('--command-timeout <minutes>', 'time a step may run', String(DEFAULT_COMMAND_TIMEOUT_MIN))
    .option('--no-response-timeout <minutes>', 'time a step may print nothing', String(DEFAULT_NO_RESPONSE_TIMEOUT_MIN))
    .option('--ignore-file <file>', 'gitignore-style file of paths not copied into the box')
    .option('--source-dir <dir>', 'sub-directory of the source that steps start in')
    .option('--docker-network <name>', 'use this existing network instead of a new one')
    .option('--docker-dns <ip>', 'DNS server for the box (repeatable)', collect, [])
    .option('--docker-memory <mb>', 'memory limit for the box in MB')
    .option('--shell-on-failure', 'when a step fails, open a shell in the box where it failed (needs a terminal)')
    .option('--resume', 'run again from the step that failed last time, in the box it failed in (its snapshot)')
    .option('--from-step <name>', 'like --resume, from the step with this name')
    .option('--no-snapshot', 'keep no snapshot of the box when a step fails')
    .option('--step-source <source>', 'where to look for steps werker does not bring, before the config files\' sources and GitHub: a git URL template with {owner} {name}, dir:PATH, registry:URL, github, no-github (repeatable; replaces WERKER_STEP_SOURCES)', collect, [])
    .addOption(new Option('--steps-registry <url>', 'a registry speaking wercker\'s steps API (or STEPS_REGISTRY)').hideHelp())
    .addOption(new Option('--run-id <id>').hideHelp())
    .addOption(new Option('--application-id <id>').hideHelp().default(env.WERCKER_APPLICATION_ID))
    .addOption(new Option('--application-name <name>').hideHelp().default(env.WERCKER_APPLICATION_NAME))
    .addOption(new Option('--application-owner-name <name>').hideHelp().default(env.WERCKER_APPLICATION_OWNER_NAME))
    .addOption(new Option('--application-started-by-name <name>').hideHelp().default(env.WERCKER_APPLICATION_STARTED_BY_NAME))
    .addOption(new Option('--git-domain <d>').hideHelp().default(env.WERCKER_GIT_DOMAIN))
    .addOption(new Option('--git-owner <o>').hideHelp().default(env.WERCKER_GIT_OWNER))
    .addOption(new Option('--git-repository <r>').hideHelp().default(env.WERCKER_GIT_REPOSITORY))
    .addOption(new Option('--git-branch <b>').hideHelp().default(env.WERCKER_GIT_BRANCH))
    .addOption(new Option('--git-commit <c>').hideHelp().default(env.WERCKER_GIT_COMMIT))
    .addOption(new Option('--git-tag <t>').hideHelp().default(env.WERCKER_GIT_TAG))
    // Accepted for compatibility with wercker's command lines; werker has no use for them.
    .addOption(new Option('--commit <repo>').hideHelp())
    .addOption(new Option('--tag <tag>').hideHelp())
    .addOption(new Option('--message <m>').hideHelp())
    .addOption(new Option('--checkpoint <c>').hideHelp())
    // Dev steps (internal/watch, internal/shell, file:// step packages) are on unless turned off (§6, §8.3).
    .addOption(new Option('--enable-dev-steps').hideHelp().default(true))
    .addOption(new Option('--attach-on-error').hideHelp())
    .addOption(new Option('--suppress-build-logs').hideHelp())
    .addOption(new Option('--docker-cleanup-image').hideHelp())
    .addOption(new Option('--docker-tls-verify <v>').hideHelp())
    .addOption(new Option('--docker-cert-path <p>').hideHelp())
    .addOption(new Option('--docker-memory-swap <mb>').hideHelp())
    .addOption(new Option('--mnt-root <p>').hideHelp())
    .addOption(new Option('--guest-root <p>').hideHelp())
    .addOption(new Option('--report-root <p>').hideHelp());
}

/**
 * wercker's check-config took every pipeline flag (docs/wercker-compat.md §8.3); a command line
 * written for it still parses here. They change nothing about the check.
 */
export function addIgnoredPipelineFlags(cmd: Command): Command {
  const booleans = ['docker-local', 'direct-mount', 'expose-ports', 'enable-volumes', 'enable-dev-steps', 'attach-on-error',
    'suppress-build-logs', 'artifacts', 'no-remove', 'docker-cleanup-image'];
  const values = ['working-dir', 'deploy-target', 'run-id', 'docker-host', 'docker-tls-verify', 'docker-cert-path', 'docker-network',
    'docker-dns', 'docker-memory', 'docker-memory-swap', 'checkpoint', 'commit', 'tag', 'message', 'ignore-file', 'source-dir',
    'no-response-timeout', 'command-timeout', 'mnt-root', 'guest-root', 'report-root', 'publish', 'application-id', 'application-name',
    'application-owner-name', 'application-started-by-name', 'git-domain', 'git-owner', 'git-repository', 'git-branch', 'git-commit', 'git-tag'];
  for (const name of booleans) cmd.addOption(new Option(`--${name}`).hideHelp());
  for (const name of values) cmd.addOption(new Option(`--${name} <value>`).hideHelp());
  return cmd;
}

export interface PipelineFlags {
  pipeline: string;
  deployTarget?: string;
  workingDir: string;
  werckerYml?: string;
  json?: boolean;
  dockerHost?: string;
  /** wercker's `--docker-tls-verify` / `--docker-cert-path`: DOCKER_TLS_VERIFY / DOCKER_CERT_PATH (§8.3; docker-flags.ts). */
  dockerTlsVerify?: string;
  dockerCertPath?: string;
  imageMap: string[];
  pull: string;
  dockerLocal?: boolean;
  secret: string[];
  artifacts?: boolean;
  directMount?: boolean;
  exposePorts?: boolean;
  publish: string[];
  enableVolumes?: boolean;
  remove: boolean;
  commandTimeout: string;
  responseTimeout: string;
  ignoreFile?: string;
  sourceDir?: string;
  dockerNetwork?: string;
  dockerDns: string[];
  dockerMemory?: string;
  /** wercker's hidden `--docker-memory-swap` MB (§8.3). */
  dockerMemorySwap?: string;
  stepSource: string[];
  stepsRegistry?: string;
  runId?: string;
  applicationId?: string;
  applicationName?: string;
  applicationOwnerName?: string;
  /** wercker's `--application-started-by-name`: WERCKER_STARTED_BY (docs/wercker-compat.md §8.3). */
  applicationStartedByName?: string;
  /** The global `--verbose` / `--debug` (program.ts hands them on): what the run shows of the lines sent to the box (§3.5). */
  verbosity?: Verbosity;
  /** wercker's hidden `--suppress-build-logs`: the steps' output is kept from the screen, not from the log file (§8.3). */
  suppressBuildLogs?: boolean;
  /** The global `--base-url` (program.ts hands it on): the base of WERCKER_APPLICATION_URL and WERCKER_RUN_URL (§3.2). */
  baseUrl?: string;
  gitDomain?: string;
  gitOwner?: string;
  gitRepository?: string;
  gitBranch?: string;
  gitCommit?: string;
  gitTag?: string;
  commit?: string;
  shellOnFailure?: boolean;
  resume?: boolean;
  fromStep?: string;
  /** False with --no-snapshot. */
  snapshot?: boolean;
  /** `werker build --cache-from URL` (cache-from.ts); its token. */
  cacheFrom?: string;
  cacheToken?: string;
  /** wercker's hidden `--enable-dev-steps` (default true; `--enable-dev-steps=false` turns them off). */
  enableDevSteps: boolean;
  /** wercker's hidden `--guest-root`, `--mnt-root`, `--report-root` (docs/wercker-compat.md §4.3). */
  guestRoot?: string;
  mntRoot?: string;
  reportRoot?: string;
  /** wercker's hidden `--attach-on-error` (docs/wercker-compat.md §4.7): the shell of --shell-on-failure. */
  attachOnError?: boolean;
  /** wercker's hidden `--docker-cleanup-image`: remove the pushed tags after a push (§8.3). */
  dockerCleanupImage?: boolean;
}
