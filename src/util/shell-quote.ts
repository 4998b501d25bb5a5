/**
 * POSIX shell quoting for remote commands. A remote command is an argv array; it reaches the
 * server's shell (sshd runs it with `$SHELL -c`) as one string in which every argument is quoted
 * exactly once here, so no value is ever interpolated into shell text.
 */

/** Characters that need no quoting in any POSIX shell word. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

const single = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

/** One argument as a POSIX shell word: as is when plainly safe, else `'…'` with `'` as `'\''`. */
export function shellQuote(arg: string): string {
  return arg !== '' && SAFE.test(arg) ? arg : single(arg);
}

/** An argv array as one command line for a POSIX shell. */
export function shellJoin(argv: readonly string[]): string {
  // A first word with `=` would be read as a variable assignment, so it is always quoted.
  return argv.map((a, i) => (i === 0 && a.includes('=') ? single(a) : shellQuote(a))).join(' ');
}
