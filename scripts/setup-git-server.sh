#!/usr/bin/env bash
# Makes sure git's own smart-HTTP server, `git http-backend` (shipped in Debian's git package),
# is installed: the step-source tests (test/integration/step-sources*.test.ts) serve step
# repositories with it on loopback, behind node's http server acting only as its CGI gateway.
# They also serve a steps registry's files with python3's http.server (Debian's python3).
# Idempotent: does nothing when git, git-http-backend and python3 are already there.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck disable=SC2034 # used by lib/common.sh
WERKER_SCRIPT_NAME=setup-git-server
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SCRIPT_DIR/lib/common.sh"

APT_LOG=/var/log/werker-apt.log

backend() { command -v git >/dev/null 2>&1 && [ -x "$(git --exec-path)/git-http-backend" ]; }

if backend && command -v python3 >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  die "git-http-backend or python3 is missing; as root with apt-get this script installs Debian's git and python3"
fi
log "installing Debian's git and python3 (log: $APT_LOG)"
apt_get_install "$APT_LOG" git python3 || die "apt-get install git python3 failed; see $APT_LOG"
backend || die "git was installed but git-http-backend is missing from $(git --exec-path); see $APT_LOG"
log "git http-backend ready: $(git --version)"
