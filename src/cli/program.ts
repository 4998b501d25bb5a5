import { Command, Option } from 'commander';
import { addBooleanOpposites } from './bool-flags.ts';
import type { Output } from './output.ts';
import { addIgnoredPipelineFlags, addPipelineOptions, type PipelineFlags } from './pipeline-options.ts';

/** The program, with what its action left behind: the exit code and the command that ran. */
export type Program = Command & { exitCodeFromAction?: number; ranCommand?: Command };

/** The command tree. Each action lazy-loads its module so `--help` stays fast. */
export function buildProgram(out: Output): Program {
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
    .exitOverride()
    .hook('preAction', (_program, action) => {
      program.ranCommand = action;
    })
    .configureOutput({ writeOut: (s) => out.stdout(s.trimEnd()), writeErr: (s) => out.stderr(s.trimEnd()) })
    .showSuggestionAfterError();

  const checkConfig = program
    .command('check-config')
    .description('validate a wercker.yml; every problem as file:line:col key.path: message')
    .argument('[path]', 'project directory or wercker.yml', '.')
    .option('--pipeline <name>', 'also check that this pipeline can run')
    .option('--json', 'print the result (diagnostics and normalised config) as JSON')
    .option('--wercker-yml <file>', 'use this file instead of looking in the project', process.env.WERCKER_YML_FILE);
  addIgnoredPipelineFlags(checkConfig)
    .action(async (target: string, opts) => {
      const { checkConfigCommand } = await import('./commands/check-config.ts');
      setCode(await checkConfigCommand(target, opts, out));
    });

  program
    .command('schema')
    .description('print the JSON Schema of wercker.yml (for editors)')
    .action(async () => {
      const { schemaCommand } = await import('./commands/schema.ts');
      setCode(schemaCommand(out));
    });

  for (const [kind, description] of [
    ['build', 'run the build pipeline (or --pipeline NAME) in containers'],
    ['dev', 'run the dev pipeline with the source mounted live'],
    ['deploy', 'run the deploy pipeline'],
  ] as const) {
    const cmd = program.command(kind).description(description);
    // wercker's short names (docs/wercker-compat.md §8.1): `b` for build, `d` for deploy.
    if (kind !== 'dev') cmd.alias(kind[0]!);
    addPipelineOptions(cmd, { pipeline: kind, directMount: kind === 'dev', noDefaultPath: kind === 'deploy' }).action(async (target: string | undefined, opts: PipelineFlags) => {
      const { runPipelineCommand } = await import('./commands/run-pipeline.ts');
      setCode(await runPipelineCommand(kind, target, opts, program.opts() as { environment: string }, out));
    });
  }

  addPipelineOptions(program.command('rollback').description('return the servers of the pipeline\'s internal/release steps to their previous release'),
    { pipeline: 'deploy', directMount: false, noDefaultPath: true })
    .action(async (target: string | undefined, opts: PipelineFlags) => {
      const { rollbackCommand } = await import('./commands/rollback.ts');
      setCode(await rollbackCommand(target, opts, program.opts() as { environment: string }, out));
    });

  program.command('version').alias('v').description('print werker\'s version')
    .option('--json', 'as JSON')
    .action((opts: { json?: boolean }) => {
      out.stdout(opts.json ? JSON.stringify({ version: VERSION }) : `werker version ${VERSION}`);
    });

  const workflow = program.command('workflow').alias('w').description('run a chain of pipelines from workflows: in wercker.yml')
    .argument('[name]', 'the workflow to run');
  addPipelineOptions(workflow, { pipeline: 'build', directMount: false })
    .action(async (name: string | undefined, target: string, opts: PipelineFlags) => {
      const { workflowCommand } = await import('./commands/workflow.ts');
      setCode(await workflowCommand(name, target, opts, program.opts() as { environment: string }, out));
    });

  addPipelineOptions(program.command('plan').description('print what a run would do (images, services, link variables, steps, env names) and run nothing'), { pipeline: 'build', directMount: false })
    .action(async (target: string, opts: PipelineFlags) => {
      const { planCommand } = await import('./commands/plan.ts');
      setCode(await planCommand(target, opts, program.opts() as { environment: string }, out));
    });

  const steps = program.command('steps').description('the registry steps of a wercker.yml: where each comes from, and the lock file (wercker-steps.lock)');
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

  program
    .command('cleanup')
    .description('remove containers, networks and volumes left behind by runs that are gone')
    .option('--all', 'remove everything werker created, even of runs still going')
    .option('--docker-host <url>', 'Docker engine address')
    .action(async (opts: { all?: boolean; dockerHost?: string }) => {
      const { cleanupCommand } = await import('./commands/cleanup.ts');
      setCode(await cleanupCommand(opts, out));
    });

  program
    .command('server')
    .description('serve the HTTP API and web UI, with an embedded runner (see src/server/README.md)')
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
    .option('--grace-seconds <s>', 'on SIGTERM, how long runs in progress may finish before they go back to the queue', '0')
    .option('--docker-host <url>', 'Docker engine address for the embedded runner')
    .option('--create-user <name>', 'create a user (password on stdin) and exit; the first user is the admin, later ones members')
    .option('--admin', 'with --create-user: make the user an admin')
    .option('--create-token <name>', 'print a new API token for --user and exit')
    .option('--user <name>', 'the user of --create-token')
    .option('--create-runner-token <name>', 'print a new runner token and exit')
    .action(async (opts) => {
      const { serverCommand } = await import('./commands/server.ts');
      setCode(await serverCommand(opts, out));
    });

  program
    .command('runner')
    .description('take runs from a werker server and run them on this machine\'s Docker engine')
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

  const remote = program.command('remote').description('trigger runs on a werker server and follow their log');
  for (const kind of ['build', 'deploy'] as const) {
    remote
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

  addBooleanOpposites(program);
  return program;
}

const VERSION = '0.1.0';
