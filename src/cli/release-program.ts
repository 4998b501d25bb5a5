import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import type { Output } from './output.ts';
import { addPipelineOptions } from './pipeline-options.ts';

/** What program.ts gives a command's definition (its DefineContext). */
interface ReleaseContext {
  program: Command;
  out: Output;
  setCode(code: number): void;
}

/**
 * `werker release status|logs|exec|maintenance|live`: the subcommands of `release`, each with
 * `[PATH]`, the pipeline flags and `--host`, each loading its module only when it runs.
 */
export function defineReleaseCommands(release: Command, { program, out, setCode }: ReleaseContext): void {
  const env = () => program.opts() as { environment: string };
  addReleaseTargetOptions(release.command('status').description('per host: the live and previous release, maintenance mode, accessories, cron jobs with their recorded runs (--json as JSON)'))
    .action(async (target: string | undefined, opts) => {
      const { releaseStatusCommand } = await import('./commands/release-status.ts');
      setCode(await releaseStatusCommand(target, opts, env(), out));
    });
  addReleaseTargetOptions(release.command('logs').description('the live release\'s log on each host (or --accessory NAME\'s, or --cron JOB\'s last run); -f follows until Ctrl-C'))
    .option('-f, --follow', 'keep printing new lines until Ctrl-C (which leaves nothing running on the host)')
    .option('--since <time>', 'lines since a duration ago (10m, 2h) or a time (2026-12-05T10:00:00Z)')
    .option('-n, --lines <n>', 'the last N lines (default 100 without --since)')
    .option('--grep <regexp>', 'only lines matching this JavaScript regular expression')
    .option('--accessory <name>', 'an accessory\'s log instead')
    .option('--cron <job>', 'a cron job\'s last run instead (its name, or a unique part of its name or command)')
    .action(async (target: string | undefined, opts) => {
      const { releaseLogsCommand } = await import('./commands/release-logs.ts');
      setCode(await releaseLogsCommand(target, opts, env(), out));
    });
  addReleaseTargetOptions(release.command('exec').description('run a command in the live release on each host: werker release exec [PATH] -- CMD…; -i for an interactive shell'))
    .argument('[command...]', 'after --: the command')
    .option('-i, --interactive', 'an interactive shell (or CMD) with a terminal, on one host; needs a terminal here')
    .action(async (first: string | undefined, rest: string[], opts) => {
      const words = first === undefined ? rest : [first, ...rest];
      const { command, target } = splitAtDashes(words, (program as Command & { rawArgs: string[] }).rawArgs);
      const { releaseExecCommand } = await import('./commands/release-exec.ts');
      setCode(await releaseExecCommand(command, target, opts, env(), out));
    });
  for (const [mode, description] of [
    ['maintenance', 'nginx answers 503 with the maintenance page (the step\'s maintenance-page, or werker\'s) on each host; a deploy or `werker release live` ends it'],
    ['live', 'nginx sends the site to the live release again (ends maintenance mode)'],
  ] as const) {
    addReleaseTargetOptions(release.command(mode).description(description))
      .action(async (target: string | undefined, opts) => {
        const { releaseMaintenanceCommand } = await import('./commands/release-maintenance.ts');
        setCode(await releaseMaintenanceCommand(mode, target, opts, env(), out));
      });
  }
}

/** `[PATH]`, the pipeline flags and `--host` of every `werker release` subcommand. */
function addReleaseTargetOptions(cmd: Command): Command {
  return addPipelineOptions(cmd, { pipeline: 'deploy', directMount: false, noDefaultPath: true })
    .option('--host <host>', 'only this host of the step (host or host:port)');
}

/** `[PATH] -- CMD…`: commander gives the operands without the `--`, so its place is read from the raw arguments. */
export function splitAtDashes(words: string[], rawArgs: readonly string[]): { command: string[]; target: string | undefined } {
  const dash = rawArgs.indexOf('--');
  const command = dash >= 0 ? rawArgs.slice(dash + 1) : [];
  const before = words.slice(0, words.length - command.length);
  if (before.length > 1 || (dash < 0 && before.length === 1 && !looksLikePath(before[0]!))) {
    throw new UsageError(`put the command after --: werker release exec [PATH] -- ${before.join(' ')}`);
  }
  return { command, target: before[0] };
}

/** Without `--`, one word is the project only when it is one (else it is a command without its `--`). */
const looksLikePath = (word: string): boolean => existsSync(word);
