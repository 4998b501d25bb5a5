/**
 * Child process of P8: the `check-config` command for every corpus file, in one fresh process.
 * It calls the command itself, not `main(argv)`: `main` builds commander's whole command tree
 * per call, which one invocation pays once, not once per file. The clock starts before the
 * command's modules are imported, so the cold start of the config code (zod schemas, yaml) is
 * counted once, as a user's run pays it.
 * Prints `{"ms":…,"importMs":…,"warmMs":…,"files":…,"exitCodes":{…}}`.
 */
import path from 'node:path';

// Imported after the clock starts: the corpus helper itself imports the config modules.
const started = performance.now();
const { checkConfigCommand } = await import('../../src/cli/commands/check-config.ts');
const importMs = performance.now() - started;
const { corpusDir, corpusFiles } = await import('../../test/helpers/corpus.ts');
const files = corpusFiles().map((f) => path.join(corpusDir, f));
const silent = { stdout: () => {}, stderr: () => {}, write: () => {}, color: false };
const exitCodes: Record<string, number> = {};
for (const file of files) {
  const code = await checkConfigCommand(file, {}, silent);
  exitCodes[code] = (exitCodes[code] ?? 0) + 1;
}
const ms = performance.now() - started;
// A second pass in the same process: what the work costs once everything is loaded and JIT-compiled.
const warm = performance.now();
for (const file of files) await checkConfigCommand(file, {}, silent);
const warmMs = performance.now() - warm;
process.stdout.write(`${JSON.stringify({ ms, importMs, warmMs, files: files.length, exitCodes })}\n`);
