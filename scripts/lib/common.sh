# shellcheck shell=bash
# Shared helpers for the werker helper scripts. Source it, don't run it.
#
#   WERKER_SCRIPT_NAME   prefix for progress lines (set by the caller)

: "${WERKER_SCRIPT_NAME:=werker}"

log() { printf '[%s] %s\n' "$WERKER_SCRIPT_NAME" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$WERKER_SCRIPT_NAME" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$WERKER_SCRIPT_NAME" "$*" >&2; exit 1; }

# pid_running PIDFILE COMM [TEXT]: true when PIDFILE names a live process called COMM whose
# command line contains TEXT. `kill -0` alone is not enough: /run is not a tmpfs on every
# machine, so a pid file can outlive the boot that wrote it and name a pid some other program
# has been given since (a CI machine once skipped starting an sshd that way).
pid_running() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
  [ -z "${3:-}" ] || tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$3"
}

# The API version spoken by Debian bookworm's dockerd (20.10).
WERKER_FALLBACK_API_VERSION=1.41

# docker_answers: true when `docker info` succeeds against the current
# DOCKER_HOST (or the default socket when DOCKER_HOST is unset).
docker_answers() {
  command -v docker >/dev/null 2>&1 || return 1
  timeout 15 docker info >/dev/null 2>&1
}

# ensure_docker_cli: make sure the docker CLI can talk to the engine. The
# CLI on PATH may be much newer than the daemon; normally it negotiates the
# API version, but if it doesn't, pin DOCKER_API_VERSION to what the daemon
# speaks (or to the bookworm daemon's 1.41 as a last resort).
# Returns non-zero when no engine answers at all.
ensure_docker_cli() {
  command -v docker >/dev/null 2>&1 || return 1
  if docker_answers; then
    return 0
  fi
  if [ -z "${DOCKER_API_VERSION:-}" ] &&
    DOCKER_API_VERSION=$WERKER_FALLBACK_API_VERSION timeout 15 docker info >/dev/null 2>&1; then
    export DOCKER_API_VERSION=$WERKER_FALLBACK_API_VERSION
    log "docker CLI needs DOCKER_API_VERSION=$DOCKER_API_VERSION to talk to this engine; exported it"
    return 0
  fi
  return 1
}

# apt_get_install LOG PKG...: installs Debian packages quietly (output appended to LOG). A fresh
# machine may have no package lists yet, or stale ones: on failure, update them once and retry.
apt_get_install() {
  local log=$1
  shift
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$log" 2>&1 && return 0
  apt-get update -q >>"$log" 2>&1 || { warn "apt-get update failed; see $log"; return 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$log" 2>&1
}

# apt_get_install_no_start LOG PKG...: apt_get_install, but the packages' own services (sshd on
# :22, nginx's default site on :80) do not start: a policy-rc.d that says "no" keeps invoke-rc.d
# from starting them (the deploy targets run their own on test ports).
apt_get_install_no_start() {
  local made= rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made=1
  fi
  apt_get_install "$@" || rc=$?
  [ -z "$made" ] || rm -f /usr/sbin/policy-rc.d
  return "$rc"
}

# sha256 of stdin, hex only.
sha256_stdin() { sha256sum | cut -d' ' -f1; }

# hash_dir DIR: stable sha256 over every regular file (relative path, mode
# and content) and symlink under DIR.
hash_dir() {
  local dir=$1
  (
    cd "$dir" || exit 1
    find . \( -type f -o -type l \) -print0 | LC_ALL=C sort -z |
      while IFS= read -r -d '' f; do
        if [ -L "$f" ]; then
          printf 'L %s -> %s\n' "$f" "$(readlink "$f")"
        else
          local x=-
          [ -x "$f" ] && x=x
          printf 'F %s %s %s\n' "$f" "$x" "$(sha256sum <"$f" | cut -d' ' -f1)"
        fi
      done
  ) | sha256_stdin
}

# fmt_secs N -> "1m23s" / "12s"
fmt_secs() {
  local s=$1
  if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}
