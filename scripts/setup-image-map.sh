#!/usr/bin/env bash
# On a machine that cannot pull from Docker Hub, maps the public images the examples name
# (busybox, postgis/postgis, node, and examples/nexchange's pitervergara/geodjango,
# mdillon/postgis, pcfseceng/ci-ssh-client) to the local werker-test/* stand-ins, in the user
# config file's image-map ($XDG_CONFIG_HOME/werker/config.yml, default ~/.config/werker/config.yml).
# Idempotent; the file's other settings and the user's own rules for those images are kept.
#
#   WERKER_STAND_IN_MAP=1   write the map even when Docker Hub answers
#   WERKER_STAND_IN_MAP=0   never write it
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck disable=SC2034 # used by lib/common.sh
WERKER_SCRIPT_NAME=setup-image-map
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
. "$SCRIPT_DIR/lib/common.sh"

hub_answers() {
  # Docker Hub's registry answers 401 to an anonymous /v2/ when it is reachable.
  local code
  code=$(curl -s -o /dev/null -m 8 -w '%{http_code}' https://registry-1.docker.io/v2/ 2>/dev/null || true)
  [ "$code" = 401 ] || [ "$code" = 200 ]
}

case "${WERKER_STAND_IN_MAP:-auto}" in
  0) log "WERKER_STAND_IN_MAP=0: no stand-in map written"; exit 0 ;;
  1) ;;
  *)
    if hub_answers; then
      log "Docker Hub answers: the examples pull their public images; no stand-in map written"
      exit 0
    fi
    ;;
esac
cd "$ROOT"
node --import tsx scripts/stand-in-image-map.ts
