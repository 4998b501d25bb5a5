import { Option, type Command } from 'commander';
import { UsageError } from '../errors.ts';

/**
 * wercker's flags were Go booleans (urfave/cli on Go's flag package): `--artifacts`,
 * `--artifacts=false`, `--no-remove=true`, `--direct-mount=0` all worked, the value read by
 * strconv.ParseBool, and a boolean flag never took the next word as its value
 * (docs/wercker-compat.md §8.2, §8.3); one dash did as well as two. commander knows `--flag`
 * and `--no-flag` only, so the command line is rewritten before commander sees it:
 * `--name=value` of a boolean option becomes `--name` or its opposite, `-name` becomes `--name`.
 */
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool; undefined for anything else. */
export function parseGoBool(value: string): boolean | undefined {
  if (GO_TRUE.has(value)) return true;
  if (GO_FALSE.has(value)) return false;
  return undefined;
}

const isBoolean = (o: Option): boolean => !o.required && !o.optional;
const opposite = (long: string): string => (long.startsWith('--no-') ? `--${long.slice(5)}` : `--no-${long.slice(2)}`);

/**
 * Gives every boolean option of every command its opposite (`--no-X` for `--X`, `--X` for
 * `--no-X`), hidden, so that `--X=false` and `--no-X=false` have a form to become.
 */
export function addBooleanOpposites(cmd: Command): void {
  const longs = new Set(cmd.options.map((o) => o.long).filter(Boolean));
  for (const option of [...cmd.options]) {
    if (!option.long || !isBoolean(option) || option.long === '--version' || option.long === '--help') continue;
    const other = opposite(option.long);
    if (longs.has(other)) continue;
    cmd.addOption(new Option(other).hideHelp());
    longs.add(other);
  }
  for (const sub of cmd.commands) addBooleanOpposites(sub);
}

/** The command line with every `--boolean=value` turned into `--boolean` or its opposite. */
export function rewriteGoBooleans(program: Command, argv: readonly string[]): string[] {
  const out: string[] = [];
  let cmd = program;
  let positionals = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = singleDashLong(cmd, argv[i]!);
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith('--')) {
      const sub = positionals === 0 && !arg.startsWith('-') ? cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg)) : undefined;
      if (sub) cmd = sub;
      else if (!arg.startsWith('-')) positionals++;
      out.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const long = eq >= 0 ? arg.slice(0, eq) : arg;
    const option = findOption(cmd, long);
    if (option && isBoolean(option) && eq >= 0) {
      out.push(booleanForm(long, arg.slice(eq + 1)));
      continue;
    }
    out.push(arg);
    // A value option written `--name value` takes the next word with it.
    if (option && option.required && eq < 0 && i + 1 < argv.length) out.push(argv[++i]!);
  }
  return out;
}

/** Go's flag package took `-name` as `--name`: a known long flag written with one dash gets two. */
function singleDashLong(cmd: Command, arg: string): string {
  if (!/^-[A-Za-z][\w-]+(=|$)/.test(arg)) return arg;
  const name = arg.slice(1).split('=')[0]!;
  return findOption(cmd, `--${name}`) ? `-${arg}` : arg;
}

function findOption(cmd: Command, long: string): Option | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const found = c.options.find((o) => o.long === long);
    if (found) return found;
  }
  return undefined;
}

function booleanForm(long: string, value: string): string {
  const parsed = parseGoBool(value);
  if (parsed === undefined) {
    throw new UsageError(`invalid boolean value "${value}" for ${long}`, {
      hint: `${long} takes true or false (also 1/0, t/f, TRUE/FALSE), or no value at all for true`,
    });
  }
  return parsed ? long : opposite(long);
}
