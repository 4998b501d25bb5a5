import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { ConfigError, InternalError, WerkerError } from '../errors.ts';
import { processOutput, type Output } from './output.ts';
import { parseGoBool, rewriteGoBooleans } from './bool-flags.ts';
import { buildProgram } from './program.ts';

/**
 * Runs one werker command line and returns its exit code. The only place that turns errors into
 * output and exit codes: 0 passed · 1 a step failed, or a bad wercker.yml in a command that runs
 * pipelines (build, dev, deploy, workflow: wercker's exit code) · 2 bad flags or arguments, or a
 * bad wercker.yml in check-config and plan · 3 Docker/SSH unreachable · 130 cancelled.
 */
export async function main(argv: string[], out?: Output): Promise<number> {
  const wantsColor = !colorsOff(argv) && !process.env.NO_COLOR && Boolean(process.stderr.isTTY);
  const output = out ?? processOutput(wantsColor);
  const program = buildProgram(output, argv);
  try {
    await program.parseAsync(rewriteGoBooleans(program, argv), { from: 'user' });
    return program.exitCodeFromAction ?? 0;
  } catch (err) {
    return await reportError(err, output, program.ranCommand);
  }
}

/** Commands whose config errors exit 1, as wercker's did (its own tests expect 1 for an empty wercker.yml). */
const RUNS_PIPELINES = new Set(['build', 'dev', 'deploy', 'workflow']);

async function reportError(err: unknown, out: Output, command: Command | undefined): Promise<number> {
  if (err instanceof CommanderError) {
    // commander has printed its message already; --help and --version end with code 0.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof ConfigError) {
    // Loaded here, not up front: the code frames are only needed when there is something to show.
    const { renderDiagnostics } = await import('../report/diagnostics.ts');
    out.stderr(renderDiagnostics(err.diagnostics, err.sourceText, out.color));
    const runs = command?.parent && !command.parent.parent && RUNS_PIPELINES.has(command.name());
    return runs ? 1 : err.exitCode;
  }
  if (err instanceof WerkerError && !(err instanceof InternalError)) {
    out.stderr(`${out.color ? pc.red('error:') : 'error:'} ${err.message}`);
    if (err.hint) out.stderr(`  hint: ${err.hint}`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  out.stderr(`internal error: ${e.message}\n${e.stack ?? ''}\nThis is a bug in werker; please report it with the command you ran.`);
  return 1;
}

/** `--no-colors`, `--no-colors=true`, `--colors=false` and the like (Go booleans, §8.2); `--debug` implies it, as in wercker. */
function colorsOff(argv: string[]): boolean {
  return argv.some((arg) => {
    const debug = /^--?debug(?:=(.*))?$/.exec(arg);
    if (debug) return debug[1] === undefined || parseGoBool(debug[1]) === true;
    const m = /^--(no-)?colou?rs?(?:=(.*))?$/.exec(arg);
    if (!m) return false;
    const value = m[2] === undefined ? true : parseGoBool(m[2]);
    return m[1] ? value === true : value === false;
  });
}
