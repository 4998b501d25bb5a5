import { Command, Option } from 'commander';
import { addBooleanOpposites } from './bool-flags.ts';
import type { Output } from './output.ts';
import { addIgnoredPipelineFlags, addPipelineOptions, type PipelineFlags } from './pipeline-options.ts';
import { defineReleaseCommands } from './release-program.ts';
import { VERSION } from './version.ts';

/** The program, with what its action left behind: the exit code and the command that ran. */
export type Program = Command & { exitCodeFromAction?: number; ranCommand?: Command };

/** What a command's definition needs: where output goes and how its action reports its exit code. */
interface DefineContext {
  program: Program;
  out: Output;
  setCode(code: number): void;
}

/**
 * A top-level command. Its names and description cost nothing to register; `define` adds its
 * arguments, options, subcommands and action, which is most of the cost of building the tree
 * (commander looks up every option it adds among the ones before it), so it runs only for the
 * command being run, or for all of them when help is asked for. Each action loads its module
 * with `import()`: in the bundle, a chunk of its own (scripts/bundle-options.ts).
 */
interface CommandSpec {
  name: string;
  alias?: string;
  description: string;
  define(cmd: Command, ctx: DefineContext): void;
}

/**
 * The command tree. Given the command line, only the command it runs gets its options and
 * action (see CommandSpec); without one (tests, help), every command does.
 */
export function buildProgram(out: Output, argv?: readonly string[]): Program {
  const program: Program = new Command('werker');
  const setCode = (code: number) => {
    program.exitCodeFromAction = code;
  };
  program
    .description('Run wercker.yml pipelines in containers on a Docker Engine')
    .version(VERSION, '-v, --version')
    .option('--environment <file>', 'env file of X_/XXX_ variables', process.env.WERCKER_ENVIRONMENT_FILE ?? 'ENVIRONMENT')
    .option('--verbose', 'show more of what happens')
    .option('--debug', 'show everything (implies --verbose)')
    .option('--no-colors', 'plain output')
    .addOption(new Option('--no-color').hideHelp())
    // wercker's global --steps-registry (§8.2): a registry with its steps API, tried after the step sources.
    .addOption(new Option('--steps-registry <url>', 'a steps registry with wercker\'s API').hideHelp())
    .hook('preAction', (cmd) => {
      const registry = (cmd.opts() as { stepsRegistry?: string }).stepsRegistry;
      if (registry) process.env.STEPS_REGISTRY = registry;
    })
    // wercker's global --log-json and hidden --base-url (docs/wercker-compat.md §8.2, §3.2).
    .option('--log-json', 'print events as JSON lines (each command\'s --json)')
    .addOption(new Option('--base-url <url>', 'the base of WERCKER_APPLICATION_URL and WERCKER_RUN_URL').hideHelp())
    // wercker's hidden --auth-token and --auth-token-store signed in to its hosted service, which is
    // gone (§8.2): taken, so a wercker command line still runs, and said to do nothing.
    .addOption(new Option('--auth-token <token>').hideHelp())
    .addOption(new Option('--auth-token-store <file>').hideHelp())
    .hook('preAction', () => {
      const { authToken, authTokenStore } = program.opts() as { authToken?: string; authTokenStore?: string };
      if (authToken !== undefined || authTokenStore !== undefined) {
        out.stderr(`warning: ${authToken !== undefined ? '--auth-token' : '--auth-token-store'} signed in to wercker's hosted service, which werker has no use for; ignored`);
      }
    })
    .hook('preAction', (_program, action) => handOnGlobals(program, action))
    .exitOverride()
    .hook('preAction', (_program, action) => {
      program.ranCommand = action;
    })
    .configureOutput({ writeOut: (s) => out.stdout(s.trimEnd()), writeErr: (s) => out.stderr(s.trimEnd()) })
    .showSuggestionAfterError();

  const ctx: DefineContext = { program, out, setCode };
  const wanted = argv ? commandsToDefine(program, argv) : 'all';
  for (const spec of COMMANDS) {
    const cmd = program.command(spec.name);
    if (spec.alias) cmd.alias(spec.alias);
    cmd.description(spec.description);
    if (wanted === 'all' || wanted === spec) spec.define(cmd, ctx);
  }
  addBooleanOpposites(program);
  return program;
}

/**
 * Global flags that stand for a command's own: `--log-json` is the command's `--json` (wercker
 * logged JSON; werker's --json prints its events as JSON lines), `--verbose`/`--debug` reach a
 * run as its `verbosity`, and `--base-url` reaches the
 * pipeline commands as theirs (the server command has its own `--base-url`, the address users
 * reach it at, which a global one written after `server` fills too).
 */
function handOnGlobals(program: Command, action: Command): void {
  const globals = program.opts() as { logJson?: boolean; baseUrl?: string; verbose?: boolean; debug?: boolean };
  const has = (long: string) => action.options.some((o) => o.long === long);
  if (globals.logJson && has('--json')) action.setOptionValue('json', true);
  // What the run shows of the lines sent to the box's shell (§3.5; engine/transcript.ts).
  if (globals.debug || globals.verbose) action.setOptionValue('verbosity', globals.debug ? 'debug' : 'verbose');
  if (globals.baseUrl && action.getOptionValue('baseUrl') === undefined) action.setOptionValue('baseUrl', globals.baseUrl);
}

/**
 * Which commands a command line needs defined: the one its first operand names (commands are
 * the same at any position after the program's own options), none for a bare `--version`,
 * and all of them otherwise (help, no command, an unknown one: commander's messages then list
 * and suggest the real commands as before).
 */
function commandsToDefine(program: Command, argv: readonly string[]): CommandSpec | 'none' | 'all' {
  const operand = firstOperand(program, argv);
  if (operand === undefined) {
    const asksVersion = argv.some((a) => a === '-v' || a === '--version');
    const asksHelp = argv.some((a) => a === '-h' || a === '--help');
    return asksVersion && !asksHelp ? 'none' : 'all';
  }
  return COMMANDS.find((c) => c.name === operand || c.alias === operand) ?? 'all';
}

/** The first word that is not one of the program's options or an option's value. */
function firstOperand(program: Command, argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return argv[i + 1];
    if (!arg.startsWith('-') || arg === '-') return arg;
    if (arg.includes('=')) continue;
    // `-environment FILE` as well as `--environment FILE` (Go's one-dash long flags, bool-flags.ts).
    const option = program.options.find((o) => o.long === arg || o.short === arg || o.long === `-${arg}`);
    if (option?.required) i++;
  }
  return undefined;
}

const pipelineAction = (kind: 'build' | 'dev' | 'deploy') => ({ program, out, setCode }: DefineContext) =>
  async (target: string | undefined, opts: PipelineFlags) => {
    const { runPipelineCommand } = await import('./commands/run-pipeline.ts');
    setCode(await runPipelineCommand(kind, target, opts, program.opts() as { environment: string }, out));
  };

const COMMANDS: CommandSpec[] = [
  {
    name: 'check-config',
    description: 'validate a wercker.yml; every problem as file:line:col key.path: message',
    define: (cmd, { out, setCode }) => {
      cmd
        .argument('[path]', 'project directory or wercker.yml', '.')
        .option('--pipeline <name>', 'also check that this pipeline can run')
        .option('--json', 'print the result (diagnostics and normalised config) as JSON')
        .option('--wercker-yml <file>', 'use this file instead of looking in the project', process.env.WERCKER_YML_FILE);
      addIgnoredPipelineFlags(cmd)
        .action(async (target: string, opts) => {
          const { checkConfigCommand } = await import('./commands/check-config.ts');
          setCode(await checkConfigCommand(target, opts, out));
        });
    },
  },
  {
    name: 'schema',
    description: 'print the JSON Schema of wercker.yml (for editors)',
    define: (cmd, { out, setCode }) => {
      cmd.action(async () => {
        const { schemaCommand } = await import('./commands/schema.ts');
        setCode(schemaCommand(out));
      });
    },
  },
  // wercker's short names (docs/wercker-compat.md §8.1): `b` for build, `d` for deploy.
  {
    name: 'build',
    alias: 'b',
    description: 'run the build pipeline (or --pipeline NAME) in containers',
    define: (cmd, ctx) => {
      addPipelineOptions(cmd, { pipeline: 'build', directMount: false, noDefaultPath: false })
        .option('--cache-from <url>', 'start from a werker server\'s shared cache of a pipeline (http://SERVER/api/applications/APP/cache/PIPELINE[?branch=B]), read-only')
        .option('--cache-token <token>', 'user token for --cache-from (default WERKER_TOKEN)')
        .action(pipelineAction('build')(ctx));
    },
  },
  {
    name: 'dev',
    description: 'run the dev pipeline with the source mounted live',
    define: (cmd, ctx) => {
      addPipelineOptions(cmd, { pipeline: 'dev', directMount: true, noDefaultPath: false }).action(pipelineAction('dev')(ctx));
    },
  },
  {
    name: 'deploy',
    alias: 'd',
    description: 'run the deploy pipeline',
    define: (cmd, ctx) => {
      addPipelineOptions(cmd, { pipeline: 'deploy', directMount: false, noDefaultPath: true }).action(pipelineAction('deploy')(ctx));
    },
  },
  {
    name: 'rollback',
    description: 'return the servers of the pipeline\'s internal/release steps to their previous release',
    define: (cmd, { program, out, setCode }) => {
      addPipelineOptions(cmd, { pipeline: 'deploy', directMount: false, noDefaultPath: true })
        .action(async (target: string | undefined, opts: PipelineFlags) => {
          const { rollbackCommand } = await import('./commands/rollback.ts');
          setCode(await rollbackCommand(target, opts, program.opts() as { environment: string }, out));
        });
    },
  },
  {
    name: 'release',
    description: 'day 2 of the pipeline\'s internal/release servers: status, logs, exec, maintenance, live',
    define: (release, ctx) => defineReleaseCommands(release, ctx),
  },
  // wercker's `detect` and its short name `de` (docs/wercker-compat.md §8.1).
  {
    name: 'detect',
    alias: 'de',
    description: 'guess the project\'s stack from its files and write a wercker.yml to start from',
    define: (cmd, { out, setCode }) => {
      cmd
        .argument('[path]', 'project directory', '.')
        .action(async (target: string) => {
          const { detectCommand } = await import('./commands/detect.ts');
          setCode(await detectCommand(target, out));
        });
    },
  },
  {
    name: 'version',
    alias: 'v',
    description: 'print werker\'s version',
    define: (cmd, { out }) => {
      cmd
        .option('--json', 'as JSON')
        // wercker's (§8.1): its beta channel and update check were hosted; accepted, they change nothing.
        .addOption(new Option('--beta').hideHelp())
        .addOption(new Option('--no-update-check').hideHelp())
        .action((opts: { json?: boolean }) => {
          out.stdout(opts.json ? JSON.stringify({ version: VERSION }) : `werker version ${VERSION}`);
        });
    },
  },
  {
    name: 'workflow',
    alias: 'w',
    description: 'run a chain of pipelines from workflows: in wercker.yml',
    define: (cmd, { program, out, setCode }) => {
      cmd.argument('[name]', 'the workflow to run');
      addPipelineOptions(cmd, { pipeline: 'build', directMount: false })
        .action(async (name: string | undefined, target: string, opts: PipelineFlags) => {
          const { workflowCommand } = await import('./commands/workflow.ts');
          setCode(await workflowCommand(name, target, opts, program.opts() as { environment: string }, out));
        });
    },
  },
  {
    name: 'plan',
    description: 'print what a run would do (images, services, link variables, steps, env names) and run nothing',
    define: (cmd, { program, out, setCode }) => {
      addPipelineOptions(cmd, { pipeline: 'build', directMount: false })
        .action(async (target: string, opts: PipelineFlags) => {
          const { planCommand } = await import('./commands/plan.ts');
          setCode(await planCommand(target, opts, program.opts() as { environment: string }, out));
        });
    },
  },
  {
    name: 'steps',
    description: 'the registry steps of a wercker.yml: where each comes from, and the lock file (wercker-steps.lock)',
    define: (steps, { out, setCode }) => {
      for (const [name, description] of [
        ['list', 'print each registry step and where its package comes from (fetching and locking what is new)'],
        ['update', 'resolve every fetched step afresh through the step sources and rewrite wercker-steps.lock'],
      ] as const) {
        steps
          .command(name)
          .description(description)
          .argument('[path]', 'project directory', '.')
          .option('--wercker-yml <file>', 'use this file instead of the project\'s wercker.yml', process.env.WERCKER_YML_FILE)
          .option('--working-dir <dir>', 'where werker keeps builds, cache and logs (the step cache is its steps/)', process.env.WERCKER_WORKING_DIR ?? '.werker')
          .option('--step-source <source>', 'a step source tried first (repeatable; see werker build --help)', (v: string, p: string[] = []) => [...p, v], [])
          .addOption(new Option('--steps-registry <url>').hideHelp())
          .action(async (target: string, opts) => {
            const { stepsListCommand, stepsUpdateCommand } = await import('./commands/steps.ts');
            setCode(await (name === 'list' ? stepsListCommand : stepsUpdateCommand)(target, opts, out));
          });
      }
    },
  },
  {
    name: 'cleanup',
    description: 'remove containers, networks and volumes left behind by runs that are gone',
    define: (cmd, { out, setCode }) => {
      cmd
        .option('--all', 'remove everything werker created, even of runs still going')
        .option('--docker-host <url>', 'Docker engine address')
        .action(async (opts: { all?: boolean; dockerHost?: string }) => {
          const { cleanupCommand } = await import('./commands/cleanup.ts');
          setCode(await cleanupCommand(opts, out));
        });
    },
  },
  {
    name: 'server',
    description: 'serve the HTTP API and web UI, with an embedded runner (see src/server/README.md)',
    define: (cmd, { out, setCode }) => {
      cmd
        .option('--data-dir <dir>', 'where the server keeps its SQLite file, repository mirrors and run outputs (default ~/.werker/server)')
        .option('--database <url>', 'postgres://… instead of SQLite (better: WERKER_DATABASE_URL, which keeps its password out of `ps`)')
        .option('--host <address>', 'address to listen on', '127.0.0.1')
        .option('--port <port>', 'port to listen on', '7373')
        .option('--base-url <url>', 'the URL users reach the server at')
        .option('--runners <n>', 'embedded runner slots', '1')
        .option('--no-runner', 'no embedded runner (only `werker runner` processes run pipelines)')
        .option('--lease-seconds <s>', 'a run goes back to the queue when its runner is silent this long', '30')
        .option('--keep-outputs <days>', 'delete build outputs of runs finished this many days ago, except the newest passed one per branch (or WERKER_KEEP_OUTPUTS_DAYS; default 30, 0 keeps all)')
        .option('--allow-local-repos <dir>', 'let applications use local-path repositories inside DIR (repeatable; or WERKER_ALLOW_LOCAL_REPOS, dirs separated by ":"); none by default', (dir: string, all: string[] = []) => [...all, dir])
        .option('--trust-proxy', 'believe X-Forwarded-Proto/-For from the reverse proxy in front (only when one is, and it sets them)')
        .option('--max-output-mb <mb>', 'largest build output a runner may upload', '4096')
        .option('--max-run-events <n>', 'events stored per run; past it, output is dropped behind an "output truncated" line', '50000')
        .option('--max-cache-mb <mb>', 'shared caches one application may keep (all its pipelines and branches); least recently used go first', '4096')
        .option('--max-cache-total-mb <mb>', 'shared caches of all applications together; least recently used go first', '20480')
        .option('--grace-seconds <s>', 'on SIGTERM, how long runs in progress may finish before they go back to the queue', '0')
        .option('--terminal-minutes <n>', 'keep a failed step\'s box this long for a terminal from the run\'s page (maintainers and admins; 0, the default, offers none)', '0')
        .option('--docker-host <url>', 'Docker engine address for the embedded runner')
        .option('--smtp-host <host>', 'send email notifications through this SMTP server (or WERKER_SMTP_HOST); none: email rules are refused')
        .option('--smtp-port <port>', 'its port (or WERKER_SMTP_PORT; default 587, 465 with --smtp-security tls, 25 with none)')
        .option('--smtp-security <mode>', 'starttls (required, the default), tls (from the first byte) or none (or WERKER_SMTP_SECURITY)')
        .option('--smtp-user <name>', 'SMTP login (or WERKER_SMTP_USER)')
        .option('--smtp-password-file <file>', 'file holding the SMTP password (or WERKER_SMTP_PASSWORD_FILE, or the password in WERKER_SMTP_PASSWORD)')
        .option('--smtp-from <address>', 'the From address of notification emails (or WERKER_SMTP_FROM), e.g. "werker <ci@example.com>"')
        .option('--smtp-ca-file <file>', 'PEM certificates to trust for the SMTP server besides the system\'s (or WERKER_SMTP_CA_FILE)')
        .option('--create-user <name>', 'create a user (password on stdin) and exit; the first user is the admin, later ones members')
        .option('--admin', 'with --create-user: make the user an admin')
        .option('--create-token <name>', 'print a new API token for --user and exit')
        .option('--user <name>', 'the user of --create-token')
        .option('--create-runner-token <name>', 'print a new runner token and exit')
        .action(async (opts) => {
          const { serverCommand } = await import('./commands/server.ts');
          setCode(await serverCommand(opts, out));
        });
    },
  },
  {
    name: 'runner',
    description: 'take runs from a werker server and run them on this machine\'s Docker engine',
    define: (cmd, { out, setCode }) => {
      cmd
        .option('--server <url>', 'the werker server (or WERKER_SERVER)')
        .option('--token <token>', 'runner token (better: WERKER_RUNNER_TOKEN, which stays out of `ps`)')
        .option('--name <name>', 'how this runner appears in runs (default host-pid)')
        .option('--concurrency <n>', 'runs at once', '1')
        .option('--work-dir <dir>', 'where runs check out their source (temp dirs, removed after each run)')
        .option('--docker-host <url>', 'Docker engine address')
        .addOption(new Option('--poll-ms <ms>', 'how often an idle runner asks for work').default('1000').hideHelp())
        .action(async (opts) => {
          const { runnerCommand } = await import('./commands/runner.ts');
          setCode(await runnerCommand(opts, out));
        });
    },
  },
  {
    name: 'remote',
    description: 'trigger runs on a werker server and follow their log',
    define: (cmd, { out, setCode }) => {
      for (const kind of ['build', 'deploy'] as const) {
        cmd
          .command(kind)
          .description(`queue a ${kind} of APP on the server and print its live log (exit code from the result)`)
          .argument('<app>', 'application name')
          .option('--server <url>', 'the werker server (or WERKER_SERVER)')
          .option('--token <token>', 'API token (better: WERKER_TOKEN)')
          .option('--branch <branch>', 'branch to run (default: the application\'s default branch)')
          .option('--commit <sha>', 'commit to run (default: the branch\'s latest)')
          .option('--pipeline <name>', `pipeline to run (default ${kind})`)
          .option('--workflow <name>', 'start this workflow instead of one pipeline')
          .option('--no-follow', 'print the run id and exit without following the log')
          .action(async (app: string, opts) => {
            const { remoteCommand } = await import('./commands/remote.ts');
            setCode(await remoteCommand(kind, app, opts, out));
          });
      }
    },
  },
];
