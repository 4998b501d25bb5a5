/**
 * `werker rollback …` for tests until cli/program.ts wires registerRollbackCommand: the same
 * global --environment flag, the same command module, the same error reporting as cli.ts.
 */
import { Command } from 'commander';
import { registerRollbackCommand } from '../../src/cli/commands/rollback.ts';
import { processOutput } from '../../src/cli/output.ts';
import { WerkerError } from '../../src/errors.ts';

const out = processOutput(false);
const program = new Command('werker').option('--environment <file>', 'env file', 'ENVIRONMENT').exitOverride();
let code = 0;
registerRollbackCommand(program, out, (c) => (code = c));
try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' });
} catch (err) {
  const e = err as WerkerError;
  out.stderr(`error: ${e.message}`);
  if (e.hint) out.stderr(`  hint: ${e.hint}`);
  code = e instanceof WerkerError ? e.exitCode : 1;
}
process.exitCode = code;
