#!/usr/bin/env bash
# Prepare everything the werker test suite needs: a Docker Engine
# (scripts/setup-docker.sh), the local werker-test/* images
# (scripts/build-images.sh), a local registry with auth (scripts/setup-registry.sh), and on
# machines that can't reach Docker Hub the image map to those images (scripts/setup-image-map.sh). Extra arguments are passed to build-images.sh
# (image names; default all).
#
#   WERKER_REQUIRE_DOCKER=1  any failure is fatal (non-zero exit)
#   otherwise                failures only print a warning and exit 0, so the
#                            unit tests can still run without Docker
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

# shellcheck disable=SC2034 # used by lib/common.sh
WERKER_SCRIPT_NAME=test-env
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SCRIPT_DIR/lib/common.sh"

START=$SECONDS
step=setup-docker
rc=0
t_setup=0 t_build=

bash "$SCRIPT_DIR/setup-docker.sh" || rc=$?
t_setup=$((SECONDS - START))
if [ "$rc" -eq 0 ]; then
  step=build-images
  bash "$SCRIPT_DIR/build-images.sh" "$@" || rc=$?
  t_build=$((SECONDS - START - t_setup))
fi
if [ "$rc" -eq 0 ]; then
  step=setup-registry
  bash "$SCRIPT_DIR/setup-registry.sh" || rc=$?
fi
if [ "$rc" -eq 0 ]; then
  # sshd, nginx and cron on 127.0.0.1 for the internal/release tests
  step=setup-deploy-target
  bash "$SCRIPT_DIR/setup-deploy-target.sh" || rc=$?
fi
if [ "$rc" -eq 0 ]; then
  # two more deploy hosts (network namespaces, each with its own sshd, dockerd and nginx) for the multi-host release tests
  step=setup-deploy-hosts
  bash "$SCRIPT_DIR/setup-deploy-hosts.sh" || rc=$?
fi
if [ "$rc" -eq 0 ]; then
  # Debian's chromium for the web UI browser test (playwright-core drives it)
  step=setup-chromium
  bash "$SCRIPT_DIR/setup-chromium.sh" || rc=$?
fi
# git http-backend for the step-source tests (step repositories on a loopback git server)
if [ "$rc" -eq 0 ]; then step=setup-git-server; bash "$SCRIPT_DIR/setup-git-server.sh" || rc=$?; fi
# s3rver (npm) for the s3sync step test, copied into the box it syncs from
if [ "$rc" -eq 0 ]; then step=setup-s3rver; bash "$SCRIPT_DIR/setup-s3rver.sh" || rc=$?; fi
# PostgreSQL on 127.0.0.1:5433 for the werker server tests (multi-runner queue)
if [ "$rc" -eq 0 ]; then step=setup-postgres; bash "$SCRIPT_DIR/setup-postgres.sh" || rc=$?; fi
# the examples' public images → the local werker-test/* stand-ins, when Docker Hub can't be reached
if [ "$rc" -eq 0 ]; then step=setup-image-map; bash "$SCRIPT_DIR/setup-image-map.sh" || rc=$?; fi

total=$(fmt_secs $((SECONDS - START)))
times="setup-docker $(fmt_secs "$t_setup"), build-images ${t_build:+$(fmt_secs "$t_build")}"
times=${times%, build-images }
if [ "$rc" -eq 0 ]; then
  log "Docker test environment ready in $total ($times)"
  exit 0
fi
if [ "${WERKER_REQUIRE_DOCKER:-0}" = 1 ]; then
  log "FAILED in $step (exit $rc) after $total ($times); WERKER_REQUIRE_DOCKER=1, so this is fatal"
  exit "$rc"
fi
warn "$step failed (exit $rc) after $total ($times); Docker-backed tests will not be able to run (set WERKER_REQUIRE_DOCKER=1 to make this fatal)"
exit 0
