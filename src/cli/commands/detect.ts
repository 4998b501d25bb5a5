import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { CONFIG_NAMES } from '../../config/source.ts';
import { WerkerError } from '../../errors.ts';
import { packageDir } from '../../util/package-dir.ts';
import type { Output } from '../output.ts';

/**
 * `werker detect` (`de`), docs/wercker-compat.md §8.1: guess the project's stack from the names
 * of the files in its directory and write a wercker.yml to start from. wercker downloaded the
 * template from its hosted service; werker ships its own in templates/ (one file a stack).
 */

export type Stack = 'nodejs' | 'python' | 'ruby' | 'golang' | 'java-maven' | 'java-gradle' | 'default';

/**
 * wercker's rules. wercker took the first directory entry that matched any rule, in the order
 * the file system listed them, so a project with both package.json and requirements.txt could
 * come out either way; werker tries the rules in this order instead, the same answer every time.
 */
const RULES: ReadonlyArray<{ stack: Exclude<Stack, 'default'>; matches(name: string): boolean }> = [
  { stack: 'nodejs', matches: (n) => n === 'package.json' },
  { stack: 'python', matches: (n) => n === 'requirements.txt' },
  { stack: 'ruby', matches: (n) => n === 'Gemfile' },
  { stack: 'golang', matches: (n) => path.extname(n) === '.go' },
  { stack: 'java-maven', matches: (n) => n === 'pom.xml' },
  { stack: 'java-gradle', matches: (n) => path.extname(n) === '.gradle' || n === 'gradlew' },
];

/** The stack the names of a directory's entries point to; `default` when none does. */
export function detectStack(names: readonly string[]): Stack {
  return RULES.find((rule) => names.some(rule.matches))?.stack ?? 'default';
}

/** The bundled template of a stack (templates/<stack>.yml beside werker's package.json). */
export function templateFile(stack: Stack, root: string = packageDir()): string {
  return path.join(root, 'templates', `${stack}.yml`);
}

/** Reads one answer line; undefined when the input ends first. */
export type AskLine = () => Promise<string | undefined>;

export async function detectCommand(target: string, out: Output, askLine: AskLine = stdinLine): Promise<number> {
  const dir = path.resolve(target);
  const names = directoryNames(dir);
  out.stdout('########### Detecting your project! #############');
  const stack = detectStack(names);
  if (stack === 'default') out.stdout('No stack detected, generating default wercker.yml');
  else out.stdout(`Detected: ${stack}\nGenerating wercker.yml`);

  const file = path.join(dir, 'wercker.yml');
  if (existsSync(file)) {
    out.stdout('wercker.yml already exists. Do you want to overwrite? (yes/no)');
    const answer = await confirm(out, askLine).finally(releaseStdin);
    if (answer !== 'yes') {
      out.stderr(answer === 'no'
        ? `Exiting... ${file} was left as it is.`
        : `no answer on stdin: ${file} was left as it is; answer yes to replace it (e.g. \`yes | werker detect\`)`);
      return 1;
    }
  }
  writeFileSync(file, readFileSync(templateFile(stack), 'utf8'));
  out.stdout(`Wrote ${file} for ${stack === 'default' ? 'no particular stack' : stack}: edit it to suit, then \`werker check-config\` and \`werker build\``);
  noteShadowingConfig(dir, out);
  return 0;
}

function directoryNames(dir: string): string[] {
  const info = statSync(dir, { throwIfNoEntry: false });
  if (!info?.isDirectory()) {
    throw new WerkerError(`${dir}: ${info ? 'not a directory' : 'no such directory'}`, 2, { hint: 'run werker detect in the project\'s directory, or give that directory as its argument' });
  }
  return readdirSync(dir);
}

/** wercker's question: y… is yes, n… is no, anything else asks again. */
async function confirm(out: Output, askLine: AskLine): Promise<'yes' | 'no' | 'eof'> {
  for (;;) {
    const line = await askLine();
    if (line === undefined) return 'eof';
    const answer = line.trim().toLowerCase();
    if (answer.startsWith('y')) return 'yes';
    if (answer.startsWith('n')) return 'no';
    out.stdout('Please type yes or no and then press enter:');
  }
}

/** werker reads ewok.yml and .wercker.yml before wercker.yml (§1): say so when one is there. */
function noteShadowingConfig(dir: string, out: Output): void {
  const first = CONFIG_NAMES.find((name) => existsSync(path.join(dir, name)));
  if (first && first !== 'wercker.yml') {
    out.stderr(`note: ${path.join(dir, first)} exists and werker reads it instead of wercker.yml; remove or rename it to use the new file`);
  }
}

let stdinReader: { rl: Interface; lines: AsyncIterator<string> } | undefined;

/** The next line of stdin (one reader for all the questions, so no typed-ahead line is lost). */
async function stdinLine(): Promise<string | undefined> {
  if (!stdinReader) {
    const rl = createInterface({ input: process.stdin, terminal: false });
    stdinReader = { rl, lines: rl[Symbol.asyncIterator]() };
  }
  const next = await stdinReader.lines.next();
  return next.done ? undefined : next.value;
}

/** Lets go of stdin, which would otherwise keep the process alive after the answer. */
function releaseStdin(): void {
  stdinReader?.rl.close();
  stdinReader = undefined;
}
