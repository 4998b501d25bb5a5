#!/usr/bin/env bash
# Installs Debian's chromium for the web UI browser test (test/e2e/server-ui.test.ts), which
# drives it with playwright-core; no browser is downloaded from anywhere else. Idempotent: does
# nothing when /usr/bin/chromium is already there.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck disable=SC2034 # used by lib/common.sh
WERKER_SCRIPT_NAME=setup-chromium
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SCRIPT_DIR/lib/common.sh"

CHROMIUM=/usr/bin/chromium
APT_LOG=/var/log/werker-apt.log

if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  die "$CHROMIUM is missing; as root with apt-get this script installs Debian's chromium"
fi
log "installing Debian's chromium (log: $APT_LOG)"
apt_get_install "$APT_LOG" chromium fonts-dejavu-core || die "apt-get install chromium failed; see $APT_LOG"
[ -x "$CHROMIUM" ] || die "chromium was installed but $CHROMIUM is missing; see $APT_LOG"
log "chromium ready: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
