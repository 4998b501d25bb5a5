import { Command, Option } from 'commander';
import type { Output } from './output.ts';
import { addPipelineOptions, type PipelineFlags } from './pipeline-options.ts';

type ProgramWithCode = Command & { exitCodeFromAction?: number };

/** The command tree. Each action lazy-loads its module so `--help` stays fast. */
export function buildProgram(out: Output): Command {
  const program: ProgramWithCode = new Command('werker');
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
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.stdout(s.trimEnd()), writeErr: (s) => out.stderr(s.trimEnd()) })
    .showSuggestionAfterError();

  program
    .command('check-config')
    .description('validate a wercker.yml; every problem as file:line:col key.path: message')
    .argument('[path]', 'project directory or wercker.yml', '.')
    .option('--pipeline <name>', 'also check that this pipeline can run')
    .option('--json', 'print the result (diagnostics and normalised config) as JSON')
    .option('--wercker-yml <file>', 'use this file instead of looking in the project', process.env.WERCKER_YML_FILE)
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

  const workflow = program.command('workflow').description('run a chain of pipelines from workflows: in wercker.yml')
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

  program
    .command('cleanup')
    .description('remove containers, networks and volumes left behind by runs that are gone')
    .option('--all', 'remove everything werker created, even of runs still going')
    .option('--docker-host <url>', 'Docker engine address')
    .action(async (opts: { all?: boolean; dockerHost?: string }) => {
      const { cleanupCommand } = await import('./commands/cleanup.ts');
      setCode(await cleanupCommand(opts, out));
    });

  return program;
}

const VERSION = '0.1.0';
