# rails-database-yml: write config/database.yml where the step starts (the source dir, or `cwd:`)
# with a `test:` database that reads the service's link variables through ERB when Rails loads
# it, so no password lands in the file (docs/wercker-compat.md §7.3, link variables §5.3).
# `service` picks the template: postgresql-docker / mysql-docker (a linked service container),
# postgresql / postgresql-legacy / mysql / mysql-legacy (the WERCKER_POSTGRESQL_* / WERCKER_MYSQL_*
# variables of wercker's old boxes), postgresql-local, tacohachi-mysql (utf8mb4). Without it the
# service is detected in wercker's order: POSTGRES_PORT_5432_TCP_ADDR, MYSQL_PORT_3306_TCP_ADDR,
# WERCKER_POSTGRESQL_HOST, WERCKER_MYSQL_HOST, WERCKER_POSTGRESQL_DATABASE. werker also finds a
# container service under another alias (`mdillon/postgis` links as POSTGIS_*): the first
# <ALIAS>_PORT_5432_TCP_ADDR (or _3306_) is used when POSTGRES_ (MYSQL_) is not there.
# shellcheck disable=SC2317
_wrd_alias() { # _wrd_alias PORT PREFERRED: the alias prefix of a service exposing PORT
  if [ -n "$(eval "printf %s \"\${${2}_PORT_${1}_TCP_ADDR:-}\"")" ]; then
    echo "$2"
    return
  fi
  env | sed -n "s/^\\([A-Z0-9_]*\\)_PORT_${1}_TCP_ADDR=.*/\\1/p" | sort | head -n 1
}
# The generators write the file on stdout, so their messages go to stderr. They are called by
# name (_wrd_$template), which shellcheck cannot follow (hence SC2317 off for the file).
_wrd_postgresql_docker() {
  _wrd_p=$(_wrd_alias 5432 POSTGRES)
  _wrd_p=${_wrd_p:-POSTGRES}
  if [ -z "$(eval "printf %s \"\${${_wrd_p}_ENV_POSTGRES_PASSWORD:-}\"")" ]; then
    warn "POSTGRES_PASSWORD env var for the $(echo "$_wrd_p" | tr 'A-Z_' 'a-z-') service is not set" >&2
  fi
  info "Generating postgresql docker template (link variables ${_wrd_p}_*)" >&2
  cat << EOT
test:
    adapter: <%= ENV['WERCKER_POSTGRESQL_ADAPTER'] || 'postgresql' %>
    encoding: "utf8"
    database: <%= ENV['${_wrd_p}_ENV_POSTGRES_DB'] || ENV['${_wrd_p}_ENV_POSTGRES_USER'] || 'postgres' %><%= ENV['TEST_ENV_NUMBER'] %>
    username: <%= ENV['${_wrd_p}_ENV_POSTGRES_USER'] || 'postgres' %>
    password: <%= ENV['${_wrd_p}_ENV_POSTGRES_PASSWORD'] %>
    host: <%= ENV['${_wrd_p}_PORT_5432_TCP_ADDR'] %>
    port: <%= ENV['${_wrd_p}_PORT_5432_TCP_PORT'] %>
    min_messages: $_wrd_min
EOT
}
_wrd_postgresql_legacy() {
  info "Generating postgresql legacy template" >&2
  cat << EOT
test:
    adapter: <%= ENV['WERCKER_POSTGRESQL_ADAPTER'] || 'postgresql' %>
    encoding: "utf8"
    database: <%= ENV['WERCKER_POSTGRESQL_DATABASE'] %><%= ENV['TEST_ENV_NUMBER'] %>
    username: <%= ENV['WERCKER_POSTGRESQL_USERNAME'] %>
    password: <%= ENV['WERCKER_POSTGRESQL_PASSWORD'] %>
    host: <%= ENV['WERCKER_POSTGRESQL_HOST'] %>
    port: <%= ENV['WERCKER_POSTGRESQL_PORT'] %>
    min_messages: $_wrd_min
EOT
}
_wrd_postgresql_local() {
  info "Generating postgresql local template" >&2
  warn "the local postgresql database.yml is deprecated (as in wercker): use a postgres service instead" >&2
  cat << EOT
test:
    adapter: <%= ENV['WERCKER_POSTGRESQL_ADAPTER'] || 'postgresql' %>
    encoding: "utf8"
    database: <%= ENV['WERCKER_POSTGRESQL_DATABASE'] %><%= ENV['TEST_ENV_NUMBER'] %>
    username: <%= ENV['WERCKER_POSTGRESQL_USERNAME'] %>
    password: <%= ENV['WERCKER_POSTGRESQL_PASSWORD'] %>
    min_messages: $_wrd_min
EOT
}
_wrd_mysql_docker() { # _wrd_mysql_docker [utf8mb4]
  _wrd_p=$(_wrd_alias 3306 MYSQL)
  _wrd_p=${_wrd_p:-MYSQL}
  for _wrd_v in MYSQL_DATABASE MYSQL_USER MYSQL_PASSWORD; do
    if [ -z "$(eval "printf %s \"\${${_wrd_p}_ENV_${_wrd_v}:-}\"")" ]; then
      warn "$_wrd_v env var for the $(echo "$_wrd_p" | tr 'A-Z_' 'a-z-') service is not set" >&2
    fi
  done
  info "Generating mysql docker template (link variables ${_wrd_p}_*)" >&2
  echo "test:"
  echo "    adapter: mysql2"
  if [ "$1" = utf8mb4 ]; then
    printf '    charset: utf8mb4\n    encoding: utf8mb4\n    collation: utf8mb4_unicode_ci\n'
  else
    echo "    encoding: utf8"
  fi
  cat << EOT
    database: <%= ENV['${_wrd_p}_ENV_MYSQL_DATABASE'] %><%= ENV['TEST_ENV_NUMBER'] %>
    username: <%= ENV['${_wrd_p}_ENV_MYSQL_USER'] %>
    password: <%= ENV['${_wrd_p}_ENV_MYSQL_PASSWORD'] %>
    host: <%= ENV['${_wrd_p}_PORT_3306_TCP_ADDR'] %>
    port: <%= ENV['${_wrd_p}_PORT_3306_TCP_PORT'] %>
EOT
}
_wrd_mysql_legacy() {
  info "Generating mysql legacy template" >&2
  cat << EOT
test:
    adapter: mysql2
    encoding: utf8
    database: <%= ENV['WERCKER_MYSQL_DATABASE'] %><%= ENV['TEST_ENV_NUMBER'] %>
    username: <%= ENV['WERCKER_MYSQL_USERNAME'] %>
    password: <%= ENV['WERCKER_MYSQL_PASSWORD'] %>
    host: <%= ENV['WERCKER_MYSQL_HOST'] %>
    port: <%= ENV['WERCKER_MYSQL_PORT'] %>
EOT
}
# The template for the service property, or the detected one; empty when nothing is found.
_wrd_template() {
  case "$WERCKER_RAILS_DATABASE_YML_SERVICE" in
    postgresql | postgresql-legacy) echo postgresql_legacy ;;
    postgresql-docker) echo postgresql_docker ;;
    postgresql-local) echo postgresql_local ;;
    mysql | mysql-legacy) echo mysql_legacy ;;
    mysql-docker) echo mysql_docker ;;
    tacohachi-mysql) echo "mysql_docker utf8mb4" ;;
    "")
      if [ -n "$POSTGRES_PORT_5432_TCP_ADDR" ]; then echo postgresql_docker
      elif [ -n "$MYSQL_PORT_3306_TCP_ADDR" ]; then echo mysql_docker
      elif [ -n "$WERCKER_POSTGRESQL_HOST" ]; then echo postgresql_legacy
      elif [ -n "$WERCKER_MYSQL_HOST" ]; then echo mysql_legacy
      elif [ -n "$WERCKER_POSTGRESQL_DATABASE" ]; then echo postgresql_local
      elif [ -n "$(_wrd_alias 5432 POSTGRES)" ]; then echo postgresql_docker
      elif [ -n "$(_wrd_alias 3306 MYSQL)" ]; then echo mysql_docker
      fi
      ;;
    *) echo invalid ;;
  esac
}
_wrd_main() {
  _wrd_min=${WERCKER_RAILS_DATABASE_YML_POSTGRESQL_MIN_MESSAGE:-warning}
  if [ -z "$WERCKER_RAILS_DATABASE_YML_SERVICE" ] && [ -n "$WERCKER_RAILS_DATABASE_YML_SERVICES" ]; then
    warn "the property is service, not services (which the original step ignored too): detecting the service"
  fi
  _wrd_t=$(_wrd_template)
  if [ "$_wrd_t" = invalid ]; then
    fail "rails-database-yml: invalid service \"$WERCKER_RAILS_DATABASE_YML_SERVICE\"; supported: postgresql, postgresql-legacy, postgresql-docker, postgresql-local, mysql, mysql-legacy, mysql-docker, tacohachi-mysql"
  fi
  if [ -z "$_wrd_t" ]; then
    fail "rails-database-yml: unable to auto detect the database service (no POSTGRES_PORT_5432_TCP_ADDR, MYSQL_PORT_3306_TCP_ADDR, WERCKER_POSTGRESQL_HOST or WERCKER_MYSQL_HOST); add a postgres or mysql service to the pipeline, or set the service property"
  fi
  if [ -n "$WERCKER_RAILS_DATABASE_YML_SERVICE" ]; then
    info "Skipping autodetection; service option set: $WERCKER_RAILS_DATABASE_YML_SERVICE"
  fi
  mkdir -p config || fail "rails-database-yml: cannot create $PWD/config"
  if [ -f config/database.yml ]; then
    info "config/database.yml already exists and will be overwritten"
  fi
  # shellcheck disable=SC2086 # template name and its argument
  _wrd_$_wrd_t > config/database.yml || fail "rails-database-yml: could not write $PWD/config/database.yml"
  cat config/database.yml
  success "wrote $PWD/config/database.yml"
}
_wrd_main
unset _wrd_p _wrd_v _wrd_min _wrd_t
unset -f _wrd_main _wrd_template _wrd_alias _wrd_postgresql_docker _wrd_postgresql_legacy _wrd_postgresql_local _wrd_mysql_docker _wrd_mysql_legacy
