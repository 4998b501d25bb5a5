#!/usr/bin/env bash
# Starts Debian's docker-registry on 127.0.0.1:5000 with htpasswd auth, for the push tests
# (internal/docker-push, deploys that pull). Idempotent: does nothing when it already answers.
#
#   user werker, password werker-test-registry (test-only credentials; see test/helpers/registry.ts)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck disable=SC2034 # used by lib/common.sh
WERKER_SCRIPT_NAME=setup-registry
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SCRIPT_DIR/lib/common.sh"

ADDR=127.0.0.1:5000
ROOT=/var/lib/werker/registry
USER_NAME=werker
PASSWORD=werker-test-registry

answers() {
  # Without credentials the registry answers 401: that is "up".
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/v2/" 2>/dev/null || true)
  [ "$code" = 401 ] || [ "$code" = 200 ]
}

if answers; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  die "no registry answers at $ADDR; as root with apt-get this script installs Debian's docker-registry"
fi
if ! command -v docker-registry >/dev/null 2>&1 || ! command -v htpasswd >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
  log "installing docker-registry, apache2-utils and curl (log: /var/log/werker-apt.log)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-registry apache2-utils curl; } >>/var/log/werker-apt.log 2>&1 ||
    die "apt-get install failed; see /var/log/werker-apt.log"
fi
mkdir -p "$ROOT/data"
htpasswd -Bbc "$ROOT/htpasswd" "$USER_NAME" "$PASSWORD" >/dev/null 2>&1
cat >"$ROOT/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $ROOT/data
  delete:
    enabled: true
http:
  addr: $ADDR
auth:
  htpasswd:
    realm: werker-test
    path: $ROOT/htpasswd
YAML
# Debian's package may have started its own instance on :5000 without auth; ours replaces it.
pkill -f '^/usr/bin/docker-registry' 2>/dev/null || true
setsid nohup docker-registry serve "$ROOT/config.yml" >/var/log/werker-registry.log 2>&1 </dev/null &
for _ in $(seq 1 50); do
  if answers; then
    log "registry answering at $ADDR (auth: htpasswd)"
    exit 0
  fi
  sleep 0.2
done
die "the registry did not answer at $ADDR within 10 s; see /var/log/werker-registry.log"
