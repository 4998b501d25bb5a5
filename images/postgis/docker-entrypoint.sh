#!/usr/bin/env bash
# Entrypoint for werker-test/postgis, modelled on the official postgres image:
#
#   POSTGRES_USER       superuser to create (default: postgres)
#   POSTGRES_PASSWORD   its password (if empty and POSTGRES_HOST_AUTH_METHOD is
#                       unset, remote connections are trusted, with a warning,
#                       as the postgres images of the mdillon/postgis era did)
#   POSTGRES_DB         database to create (default: $POSTGRES_USER)
#   POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD (default scram-sha-256)
#   PGDATA              data directory (default: /var/lib/postgresql/data)
#   VAR_FILE            read VAR from a file (Docker secrets style)
#
# On first start (no $PGDATA/PG_VERSION): initdb, then start a temporary
# server that listens ONLY on the unix socket, create the database and the
# PostGIS extensions, run /docker-entrypoint-initdb.d/*, stop it. Only then is
# the real server started listening on all addresses, so a TCP connection to
# 5432 succeeding means the user, database and extension exist.
set -Eeuo pipefail

log() { echo "werker-postgis: $*" >&2; }

file_env() { # file_env VAR [DEFAULT]: VAR or VAR_FILE
  local var=$1 fvar="${1}_FILE" def=${2:-}
  if [ -n "${!var:-}" ] && [ -n "${!fvar:-}" ]; then
    log "error: both $var and $fvar are set (but are exclusive)"
    exit 1
  fi
  local val=$def
  if [ -n "${!var:-}" ]; then
    val=${!var}
  elif [ -n "${!fvar:-}" ]; then
    val=$(<"${!fvar}")
  fi
  export "$var"="$val"
  unset "$fvar"
}

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

# Flags only (e.g. `-c fsync=off`): run postgres with them.
if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  chown postgres:postgres /var/run/postgresql
  chmod 3777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ "$1" != postgres ]; then
  exec "$@"
fi

psql_init() { # psql as the superuser over the unix socket only
  PGHOST=/var/run/postgresql PGPORT=5432 \
    psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password "$@"
}

init_database() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS

  local auth=${POSTGRES_HOST_AUTH_METHOD:-}
  if [ -z "$auth" ]; then
    if [ -n "$POSTGRES_PASSWORD" ]; then
      auth=scram-sha-256
    else
      auth=trust
      log "WARNING: no POSTGRES_PASSWORD set; connections from other hosts are trusted (no password)"
    fi
  fi

  log "initialising database cluster in $PGDATA"
  local pwfile
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  local pwargs=()
  [ -n "$POSTGRES_PASSWORD" ] && pwargs=(--pwfile="$pwfile")
  # shellcheck disable=SC2086
  initdb --username="$POSTGRES_USER" "${pwargs[@]}" --encoding=UTF8 --locale=C.UTF-8 \
    $POSTGRES_INITDB_ARGS >/dev/null
  rm -f "$pwfile"

  {
    echo
    echo "# werker-test/postgis"
    echo "listen_addresses = '*'"
    if [ "$auth" = md5 ]; then echo "password_encryption = md5"; fi
  } >>"$PGDATA/postgresql.conf"
  {
    echo
    echo "# werker-test/postgis: password auth from any host"
    echo "host all all all $auth"
  } >>"$PGDATA/pg_hba.conf"

  # Temporary server: unix socket only, nothing listens on TCP yet.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w -t 60 start >/dev/null

  if [ "$POSTGRES_DB" != postgres ]; then
    log "creating database $POSTGRES_DB"
    psql_init --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi

  # Same set of extensions as mdillon/postgis: in template_postgis and in
  # $POSTGRES_DB.
  psql_init --dbname postgres <<'SQL'
CREATE DATABASE template_postgis IS_TEMPLATE true;
SQL
  local db
  for db in template_postgis "$POSTGRES_DB"; do
    log "loading PostGIS extensions into $db"
    psql_init --dbname "$db" <<'SQL'
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS postgis_topology;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE EXTENSION IF NOT EXISTS postgis_tiger_geocoder;
SQL
  done

  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        # shellcheck disable=SC1090
        if [ -x "$f" ]; then log "running $f"; "$f"; else log "sourcing $f"; . "$f"; fi ;;
      *.sql) log "running $f"; psql_init --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | psql_init --dbname "$POSTGRES_DB" ;;
      *) log "ignoring $f" ;;
    esac
  done

  pg_ctl -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
  log "init complete; starting PostgreSQL"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  init_database
else
  log "database directory $PGDATA already initialised; skipping init"
fi

unset POSTGRES_PASSWORD
exec "$@"
