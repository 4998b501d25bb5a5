#!/usr/bin/env bash
# Build the local images the werker test suite needs, reusing ones already
# built. Nothing is pulled from any registry: the Debian base is made with
# debootstrap + `docker import`, everything else is `docker build` FROM it,
# with RUN steps installing packages from the host's Debian apt mirror.
#
# Usage: scripts/build-images.sh [IMAGE...]
#   IMAGE: debian busybox postgis python-django node ssh-client tools (default: all),
#          or the full names below. The base image is always (re)checked.
#
#   debian         werker-test/debian:bookworm
#   busybox        werker-test/busybox:latest
#   postgis        werker-test/postgis:latest
#   python-django  werker-test/python-django:latest
#   node           werker-test/node:latest
#   ssh-client     werker-test/ssh-client:latest
#   tools          werker-test/tools:latest
#
# Every image carries the label werker.test.hash=<sha256 of its build context
# (images/<name>/, Dockerfile included) and of its base image's hash>; an
# image is rebuilt only when it is missing or that hash differs.
#
# Environment:
#   WERKER_DEBIAN_MIRROR   Debian mirror URI (default: the one the host's apt uses)
#   WERKER_CACHE_DIR       debootstrap tarball cache (default /var/cache/werker)
#   WERKER_BUILD_LOG_DIR   full build logs (default ${TMPDIR:-/tmp}/werker-build-logs)
#   WERKER_BUILD_JOBS      images built in parallel after the base (default 2)
#   WERKER_FORCE_REBUILD=1 rebuild even when the hash matches (debootstrap
#                          tarball is still reused)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

# shellcheck disable=SC2034 # used by lib/common.sh
WERKER_SCRIPT_NAME=build-images
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
. "$SCRIPT_DIR/lib/common.sh"
. "$SCRIPT_DIR/lib/apt-sources.sh"

IMAGES_DIR=$ROOT/images
CACHE_DIR=${WERKER_CACHE_DIR:-/var/cache/werker}
LOG_DIR=${WERKER_BUILD_LOG_DIR:-${TMPDIR:-/tmp}/werker-build-logs}
JOBS=${WERKER_BUILD_JOBS:-2}
HASH_LABEL=werker.test.hash
SUITE=bookworm
VARIANT=minbase

ALL=(debian busybox postgis python-django node ssh-client tools)
declare -A REF=(
  [debian]=werker-test/debian:bookworm
  [busybox]=werker-test/busybox:latest
  [postgis]=werker-test/postgis:latest
  [python-django]=werker-test/python-django:latest
  [node]=werker-test/node:latest
  [ssh-client]=werker-test/ssh-client:latest
  [tools]=werker-test/tools:latest
)
declare -A PARENT=(
  [busybox]=debian [postgis]=debian [python-django]=debian [node]=debian [ssh-client]=debian [tools]=debian
)

START=$SECONDS

# ------------------------------------------------------------------ args
wanted=()
if [ "$#" -eq 0 ]; then
  wanted=("${ALL[@]}")
else
  for arg in "$@"; do
    name=
    for n in "${ALL[@]}"; do
      ref=${REF[$n]}
      if [ "$arg" = "$n" ] || [ "$arg" = "$ref" ] || [ "$arg" = "${ref%%:*}" ]; then name=$n; fi
    done
    [ -n "$name" ] || die "unknown image '$arg' (known: ${ALL[*]})"
    wanted+=("$name")
  done
fi

# ------------------------------------------------------------- docker CLI
ensure_docker_cli || die "no Docker engine answers; run scripts/setup-docker.sh first (or set DOCKER_HOST)"
if [ -z "${DOCKER_BUILDKIT:-}" ]; then
  if docker buildx version >/dev/null 2>&1; then
    export DOCKER_BUILDKIT=1
  else
    # The CLI needs the buildx plugin for BuildKit; use the classic builder.
    export DOCKER_BUILDKIT=0
  fi
fi
mkdir -p "$LOG_DIR"

image_hash() { # label value of an existing image, empty when missing
  docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true
}

# ------------------------------------------------- apt mirror + build network
mapfile -t HOST_SOURCES < <(host_apt_sources | awk -v s="$SUITE" '$2 == s || index($2, s "-") == 1 || index($2, s "/") == 1' | awk '!seen[$0]++')
if [ -n "${WERKER_DEBIAN_MIRROR:-}" ]; then
  MIRROR=${WERKER_DEBIAN_MIRROR%/}
  IMAGE_SOURCES=("$MIRROR $SUITE main" "$MIRROR $SUITE-updates main")
  for s in "${HOST_SOURCES[@]}"; do
    case "$s" in *" $SUITE-security "* | *" $SUITE/updates "*) IMAGE_SOURCES+=("$s") ;; esac
  done
else
  MIRROR=
  for s in "${HOST_SOURCES[@]}"; do
    read -r uri suite _ <<<"$s"
    if [ "$suite" = "$SUITE" ]; then MIRROR=${uri%/}; break; fi
  done
  [ -n "$MIRROR" ] || die "no '$SUITE' entry in the host's apt sources (/etc/apt/sources.list{,.d}); set WERKER_DEBIAN_MIRROR to a Debian mirror URI"
  IMAGE_SOURCES=("${HOST_SOURCES[@]}")
fi
SOURCES_LIST=$(for s in "${IMAGE_SOURCES[@]}"; do echo "deb $s"; done)

# Containers don't see the host's /etc/hosts: if a mirror host is pinned
# there, pin it for build containers too.
BUILD_ARGS=(--force-rm)
declare -A seen_host=()
for s in "${IMAGE_SOURCES[@]}"; do
  uri=${s%% *}
  host=${uri#*://}; host=${host%%/*}; host=${host##*@}; host=${host%:*}
  if [ -z "$host" ] || [ -n "${seen_host[$host]:-}" ]; then continue; fi
  seen_host[$host]=1
  ip=$(awk -v h="$host" '$1 !~ /^#/ { for (i = 2; i <= NF; i++) if ($i == h) { print $1; exit } }' /etc/hosts 2>/dev/null || true)
  if [ -n "$ip" ]; then BUILD_ARGS+=(--add-host "$host:$ip"); fi
done
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  if [ -n "${!v:-}" ]; then BUILD_ARGS+=(--build-arg "$v=${!v}"); fi
done

# ------------------------------------------------------------ debian base
build_debian() {
  local ref=${REF[debian]} arch key tarball want have tmp
  arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
  key="suite=$SUITE variant=$VARIANT arch=$arch mirror=$MIRROR"
  want=$(printf '%s\n%s\n%s\n' "$key" "$SOURCES_LIST" "$(hash_dir "$IMAGES_DIR/debian")" | sha256_stdin)
  have=$(image_hash "$ref")
  if [ "$have" = "$want" ] && [ "${WERKER_FORCE_REBUILD:-0}" != 1 ]; then
    log "$ref up to date"
    return 0
  fi

  [ "$(id -u)" -eq 0 ] || die "building $ref needs root (debootstrap); run as root"
  tarball=$CACHE_DIR/debootstrap-$SUITE-$VARIANT-$arch-$(printf '%s' "$key" | sha256_stdin | cut -c1-16).tar
  if [ -s "$tarball" ]; then
    log "reusing cached debootstrap tarball $tarball"
  else
    if ! command -v debootstrap >/dev/null 2>&1; then
      command -v apt-get >/dev/null 2>&1 || die "debootstrap is not installed"
      log "installing debootstrap"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2 ||
        { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2; } ||
        die "could not install debootstrap"
    fi
    mkdir -p "$CACHE_DIR"
    tmp=$(mktemp -d /var/tmp/werker-debootstrap.XXXXXX)
    # shellcheck disable=SC2064
    trap "cleanup_rootfs '$tmp'" EXIT
    log "debootstrap --variant=$VARIANT $SUITE from $MIRROR (log: $LOG_DIR/debootstrap.log)"
    if ! debootstrap --variant="$VARIANT" --arch="$arch" "$SUITE" "$tmp/rootfs" "$MIRROR" >"$LOG_DIR/debootstrap.log" 2>&1; then
      tail -n 20 "$LOG_DIR/debootstrap.log" >&2
      [ -f "$tmp/rootfs/debootstrap/debootstrap.log" ] && tail -n 20 "$tmp/rootfs/debootstrap/debootstrap.log" >&2
      die "debootstrap failed; see $LOG_DIR/debootstrap.log"
    fi
    # Trim what an image doesn't need; device nodes come from the runtime.
    rm -rf "$tmp/rootfs/var/cache/apt/archives/"*.deb "$tmp/rootfs/var/lib/apt/lists/"* \
      "$tmp/rootfs/dev/"* "$tmp/rootfs/tmp/"* "$tmp/rootfs/var/tmp/"*
    mkdir -p "$tmp/rootfs/var/lib/apt/lists/partial"
    tar --numeric-owner -C "$tmp/rootfs" -cf "$tarball.part" .
    mv -f "$tarball.part" "$tarball"
    cleanup_rootfs "$tmp"
    trap - EXIT
    log "cached $tarball ($(du -h "$tarball" | cut -f1))"
  fi

  # Unpack the pristine tarball, apply images/debian/rootfs and the apt
  # sources, and import.
  tmp=$(mktemp -d /var/tmp/werker-import.XXXXXX)
  # shellcheck disable=SC2064
  trap "cleanup_rootfs '$tmp'" EXIT
  mkdir "$tmp/rootfs"
  tar --numeric-owner -C "$tmp/rootfs" -xf "$tarball"
  if [ -d "$IMAGES_DIR/debian/rootfs" ]; then
    cp -a --no-preserve=ownership "$IMAGES_DIR/debian/rootfs/." "$tmp/rootfs/"
  fi
  rm -f "$tmp/rootfs/etc/apt/sources.list.d/"*.sources
  printf '# werker-test/debian: same mirror as the build host\n%s\n' "$SOURCES_LIST" >"$tmp/rootfs/etc/apt/sources.list"
  log "importing $ref"
  tar --numeric-owner -C "$tmp/rootfs" -c . |
    docker import \
      --change "LABEL $HASH_LABEL=$want" \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' \
      --message "werker-test: debootstrap --variant=$VARIANT $SUITE" \
      - "$ref" >/dev/null
  cleanup_rootfs "$tmp"
  trap - EXIT
  log "built $ref"
}

cleanup_rootfs() { # unmount anything debootstrap left mounted, then remove
  local dir=$1 m
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  # deepest mounts first
  awk -v d="$dir" 'index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$dir"
}

# ------------------------------------------------------- dockerfile images
want_hash() { # want_hash NAME
  local name=$1 parent=${PARENT[$1]:-} phash=
  [ -n "$parent" ] && phash=$(image_hash "${REF[$parent]}")
  printf 'context=%s\nparent=%s\n' "$(hash_dir "$IMAGES_DIR/$name")" "$phash" | sha256_stdin
}

build_one() { # build_one NAME; output to $LOG_DIR/NAME.log
  local name=$1 ref=${REF[$1]} want have t0=$SECONDS
  want=$(want_hash "$name")
  have=$(image_hash "$ref")
  if [ "$have" = "$want" ] && [ "${WERKER_FORCE_REBUILD:-0}" != 1 ]; then
    log "$ref up to date"
    return 0
  fi
  log "building $ref (log: $LOG_DIR/$name.log)"
  if ! docker build "${BUILD_ARGS[@]}" --label "$HASH_LABEL=$want" -t "$ref" "$IMAGES_DIR/$name" \
    >"$LOG_DIR/$name.log" 2>&1; then
    tail -n 25 "$LOG_DIR/$name.log" | sed "s/^/    [$name] /" >&2
    warn "building $ref failed; see $LOG_DIR/$name.log"
    return 1
  fi
  log "built $ref in $(fmt_secs $((SECONDS - t0)))"
}

# ------------------------------------------------------------------ main
need_debian=1 # every image is FROM the base
[ "$need_debian" = 1 ] && build_debian

todo=()
for n in "${wanted[@]}"; do
  [ "$n" = debian ] && continue
  case " ${todo[*]} " in *" $n "*) ;; *) todo+=("$n") ;; esac
done

failed=()
if [ "${#todo[@]}" -gt 0 ]; then
  declare -A pids=()
  for n in "${todo[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
    build_one "$n" &
    pids[$n]=$!
  done
  for n in "${todo[@]}"; do
    wait "${pids[$n]}" || failed+=("$n")
  done
fi

# Drop the untagged leftovers of earlier versions of our images.
docker image prune -f --filter "label=$HASH_LABEL" >/dev/null 2>&1 || true

[ "${#failed[@]}" -eq 0 ] || die "failed to build: ${failed[*]}"
log "images ready (${wanted[*]}) in $(fmt_secs $((SECONDS - START)))"
