import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { ConfigError, InternalError, WerkerError } from '../errors.ts';
import { renderDiagnostics } from '../report/diagnostics.ts';
import { processOutput, type Output } from './output.ts';
import { buildProgram } from './program.ts';

/**
 * Runs one werker command line and returns its exit code. The only place that turns errors into
 * output and exit codes: 0 passed · 1 a step failed · 2 bad config or usage ·
 * 3 Docker/SSH unreachable · 130 cancelled.
 */
export async function main(argv: string[], out?: Output): Promise<number> {
  const wantsColor = !argv.includes('--no-colors') && !argv.includes('--no-color') && !process.env.NO_COLOR && Boolean(process.stderr.isTTY);
  const output = out ?? processOutput(wantsColor);
  const program = buildProgram(output);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return (program as Command & { exitCodeFromAction?: number }).exitCodeFromAction ?? 0;
  } catch (err) {
    return reportError(err, output);
  }
}

function reportError(err: unknown, out: Output): number {
  if (err instanceof CommanderError) {
    // commander has printed its message already; --help and --version end with code 0.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof ConfigError) {
    out.stderr(renderDiagnostics(err.diagnostics, err.sourceText, out.color));
    return err.exitCode;
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
