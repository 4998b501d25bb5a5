#!/usr/bin/env bash
# A PostgreSQL for werker server's tests (test/integration/server-*.test.ts): Debian's
# postgresql (15), installed with apt-get when missing, as its own cluster "werker" on
# 127.0.0.1:${WERKER_PG_PORT:-5433} (not Debian's default 5432, so it never clashes with
# another PostgreSQL), with a role and database "werker_test". Writes the URL (password inside) to
# /var/lib/werker/postgres/url (mode 600), where the tests read it (or WERKER_TEST_DATABASE_URL).
# Idempotent: an existing, running cluster is left as it is.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck disable=SC2034 # used by lib/common.sh
WERKER_SCRIPT_NAME=setup-postgres
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SCRIPT_DIR/lib/common.sh"

PORT=${WERKER_PG_PORT:-5433}
CLUSTER=werker
STATE_DIR=/var/lib/werker/postgres
URL_FILE=$STATE_DIR/url
APT_LOG=/var/log/werker-apt.log
ROLE=werker_test
DB=werker_test

[ "$(id -u)" = 0 ] || die "run as root (it installs and starts PostgreSQL)"

# The newest installed major version, e.g. 15.
pg_version() { find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -1; }

if [ -z "$(pg_version)" ] || ! command -v pg_createcluster >/dev/null 2>&1; then
  log "installing Debian's postgresql (log: $APT_LOG)"
  apt_get_install "$APT_LOG" postgresql || die "apt-get install postgresql failed; see $APT_LOG"
fi
VERSION=$(pg_version)
[ -n "$VERSION" ] || die "postgresql is installed but /usr/lib/postgresql is empty; see $APT_LOG"

if ! pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
  log "creating cluster $VERSION/$CLUSTER on 127.0.0.1:$PORT"
  # Test data only: no fsync, so 200-run tests don't wait on the disk.
  pg_createcluster "$VERSION" "$CLUSTER" -p "$PORT" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  conf=/etc/postgresql/$VERSION/$CLUSTER/postgresql.conf
  cat >>"$conf" <<CONF
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
fi
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c && $4 == "online" { found = 1 } END { exit !found }'; then
  log "starting cluster $VERSION/$CLUSTER"
  pg_ctlcluster "$VERSION" "$CLUSTER" start
fi
PORT=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')

mkdir -p "$STATE_DIR"
chmod 700 "$STATE_DIR"
if [ ! -s "$STATE_DIR/password" ]; then
  (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$STATE_DIR/password")
fi
PASSWORD=$(cat "$STATE_DIR/password")
psql_admin() { runuser -u postgres -- psql -p "$PORT" -v ON_ERROR_STOP=1 -qtA "$@"; }
for _ in $(seq 1 30); do psql_admin -c 'select 1' >/dev/null 2>&1 && break; sleep 0.5; done
if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$ROLE'")" != 1 ]; then
  psql_admin -c "create role $ROLE login createdb password '$PASSWORD'"
else
  psql_admin -c "alter role $ROLE login createdb password '$PASSWORD'" >/dev/null
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname = '$DB'")" != 1 ]; then
  psql_admin -c "create database $DB owner $ROLE"
fi
URL="postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
(umask 077 && printf '%s\n' "$URL" >"$URL_FILE")
log "PostgreSQL $VERSION ready on 127.0.0.1:$PORT (URL in $URL_FILE)"
