import { Command, Option } from 'commander';
import type { Output } from './output.ts';

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

  return program;
}

const VERSION = '0.1.0';
