/**
 * The implicit first step, `wercker-init` (docs/wercker-compat.md §4.6): the helper functions every
 * step may call, `sudo` made harmless, and `set -e` on. Kept as wercker wrote it so steps that rely
 * on these names behave the same.
 */
export const INIT_SH = String.raw`success() { printf "%b\n" "\033[32m$*\033[m"; }
info() { printf "%b\n" "\033[36m$*\033[m"; }
debug() { printf "%b\n" "\033[37m$*\033[m"; }
warn() { printf "%b\n" "\033[33m$*\033[m"; }
error() { printf "%b\n" "\033[31merror: $*\033[m"; }
setMessage() { printf "%s\n" "$*" > "$WERCKER_REPORT_MESSAGE_FILE"; }
fail() { printf "%b\n" "\033[31mfailed: $*\033[m"; setMessage "$*"; exit 1; }
if type shopt > /dev/null 2>&1; then shopt -s expand_aliases; fi
alias sudo=""
set -e
`;

/** A script step's run.sh: `set -e` + newline + code, or the code as is when it has a shebang. */
export function scriptRunSh(code: string): string {
  return code.startsWith('#!') ? code : `set -e\n${code}`;
}
