#!/usr/bin/env bash
# s3rver, an S3-compatible server (npm package s3rver, pure JavaScript), for the s3sync step's
# integration test (test/integration/steps-lang.test.ts). The test copies this directory into
# the project it builds, and the box (werker-test/python-django, which has Node.js and s3cmd)
# runs it on its own loopback. It is installed on the host with npm because Docker image builds
# here cannot reach the npm registry. Idempotent: a matching install is left alone.
#
#   dir        /var/lib/werker/s3rver (WERKER_S3RVER_DIR), entry node_modules/s3rver/bin/s3rver.js
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck disable=SC2034 # used by lib/common.sh
WERKER_SCRIPT_NAME=setup-s3rver
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SCRIPT_DIR/lib/common.sh"

DIR=${WERKER_S3RVER_DIR:-/var/lib/werker/s3rver}
VERSION=3.7.1

installed=$(node -p "require('$DIR/node_modules/s3rver/package.json').version" 2>/dev/null || true)
if [ "$installed" = "$VERSION" ]; then
  log "s3rver $VERSION already in $DIR"
  exit 0
fi
command -v npm >/dev/null 2>&1 || die "needs npm (the npm registry) to install s3rver"
tmp=$(mktemp -d "${DIR%/*}/.s3rver.XXXXXX" 2>/dev/null || { mkdir -p "${DIR%/*}" && mktemp -d "${DIR%/*}/.s3rver.XXXXXX"; })
trap 'rm -rf "$tmp"' EXIT
printf '{"name":"werker-test-s3rver","private":true}\n' > "$tmp/package.json"
log "installing s3rver $VERSION into $DIR"
npm install --prefix "$tmp" --no-audit --no-fund --omit=dev --no-package-lock "s3rver@$VERSION" >&2 || die "npm install s3rver@$VERSION failed"
[ -f "$tmp/node_modules/s3rver/bin/s3rver.js" ] || die "s3rver installed without bin/s3rver.js"
rm -rf "$DIR"
mv "$tmp" "$DIR"
trap - EXIT
log "s3rver $VERSION ready in $DIR"
