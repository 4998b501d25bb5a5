#!/usr/bin/env bash
# Make sure a Docker Engine answers.
#
# - If `docker info` already works (current DOCKER_HOST or default socket),
#   do nothing.
# - Otherwise, as root on an apt-based system: install docker.io (+ iptables,
#   debootstrap), pick a storage driver that works here (overlay2, then
#   fuse-overlayfs, then vfs), start dockerd detached in the background
#   (log: /var/log/werker-dockerd.log) and wait up to 60 s for it.
# - Otherwise: explain how to get an engine and exit non-zero.
#
# Environment:
#   WERKER_DOCKERD_LOG            log file (default /var/log/werker-dockerd.log)
#   WERKER_DOCKERD_TIMEOUT        seconds to wait for dockerd (default 60)
#   WERKER_DOCKER_STORAGE_DRIVER  force a storage driver instead of probing
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

# shellcheck disable=SC2034 # used by lib/common.sh
WERKER_SCRIPT_NAME=setup-docker
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

LOG=${WERKER_DOCKERD_LOG:-/var/log/werker-dockerd.log}
TIMEOUT=${WERKER_DOCKERD_TIMEOUT:-60}
APT_LOG=/var/log/werker-apt.log
PIDFILE=/var/run/docker.pid
DEFAULT_SOCK=/var/run/docker.sock

how_to_get_docker() {
  cat >&2 <<'EOF'
[setup-docker] No Docker Engine answers and this script cannot start one here.
[setup-docker] To get one, either:
[setup-docker]   - install Docker's engine (e.g. `apt-get install docker.io` on Debian/Ubuntu)
[setup-docker]     and start it (`systemctl start docker`, or run `dockerd` as root), or
[setup-docker]   - point DOCKER_HOST at an engine that is running elsewhere
[setup-docker]     (e.g. DOCKER_HOST=unix:///path/to/docker.sock or tcp://host:2375).
[setup-docker] Then re-run this script; it checks with `docker info`.
EOF
}

# ---------------------------------------------------------------- 1. answers?
if ensure_docker_cli; then
  log "Docker engine already answers ($(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || echo '?')); nothing to do"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix://$DEFAULT_SOCK" ]; then
  if (unset DOCKER_HOST; timeout 15 docker info >/dev/null 2>&1 ||
      DOCKER_API_VERSION=$WERKER_FALLBACK_API_VERSION timeout 15 docker info >/dev/null 2>&1); then
    die "DOCKER_HOST=$DOCKER_HOST does not answer, but the engine on the default socket does: unset DOCKER_HOST or fix it"
  fi
  die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine, or unset DOCKER_HOST to let this script start a local one"
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  if [ -z "${DOCKER_HOST:-}" ] && [ -S "$DEFAULT_SOCK" ] && [ ! -w "$DEFAULT_SOCK" ]; then
    log "note: $DEFAULT_SOCK exists but this user ($(id -un)) may not use it;"
    log "      add the user to the '$(stat -c %G "$DEFAULT_SOCK")' group (then log in again) or run as root"
  fi
  how_to_get_docker
  exit 1
fi

# ------------------------------------------------------------- 2. packages
apt_updated=
apt_install() { # quiet apt-get install; full output goes to $APT_LOG
  log "installing $* (apt-get; output in $APT_LOG)"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$apt_updated" ]; then
    apt-get update >>"$APT_LOG" 2>&1 || { tail -n 5 "$APT_LOG" >&2; return 1; }
    apt_updated=1
  fi
  apt-get install -y --no-install-recommends -o Dpkg::Use-Pty=0 "$@" >>"$APT_LOG" 2>&1 ||
    { tail -n 5 "$APT_LOG" >&2; return 1; }
}

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v iptables >/dev/null 2>&1 || need_pkgs+=(iptables)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need_pkgs+=(debian-archive-keyring)
command -v docker >/dev/null 2>&1 || need_pkgs+=(docker.io)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  apt_install "${need_pkgs[@]}" ca-certificates || die "apt-get install ${need_pkgs[*]} failed; see $APT_LOG"
fi
command -v dockerd >/dev/null 2>&1 || die "dockerd not found after installing docker.io"

# ---------------------------------------------- 3. is a dockerd starting already?
dockerd_pid() {
  local pid
  [ -s "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || return 1
  echo "$pid"
}

wait_for_engine() { # wait_for_engine PID SECONDS -> 0 when it answers
  local pid=$1 secs=$2 i
  for ((i = 0; i < secs; i++)); do
    if ensure_docker_cli; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 1
  done
  return 1
}

if pid=$(dockerd_pid); then
  log "dockerd (pid $pid) is running but not answering yet; waiting up to ${TIMEOUT}s"
  if wait_for_engine "$pid" "$TIMEOUT"; then
    log "Docker engine answers"
    exit 0
  fi
  die "dockerd (pid $pid) is running but does not answer after ${TIMEOUT}s; see $LOG"
fi

# ---------------------------------------------- 4. what does this host need?
extra_args=()

# Firewalling: dockerd needs a working iptables for bridge NAT (containers and
# `docker build` RUN steps reach the apt mirror through it).
if iptables -t nat -S >/dev/null 2>&1; then
  :
elif command -v iptables-legacy >/dev/null 2>&1 && iptables-legacy -t nat -S >/dev/null 2>&1; then
  log "nf_tables iptables does not work here; switching to iptables-legacy"
  update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null 2>&1 || true
  update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null 2>&1 || true
else
  warn "iptables does not work here; starting dockerd with --iptables=false (containers get no outbound NAT)"
  extra_args+=(--iptables=false)
fi

# MTU: if the uplink's MTU is below 1500, containers must use it too or large
# TCP transfers (apt downloads) stall.
uplink=$(ip -o route show default 2>/dev/null | awk '{for (i=1;i<NF;i++) if ($i=="dev") {print $(i+1); exit}}' || true)
if [ -n "$uplink" ] && [ -r "/sys/class/net/$uplink/mtu" ]; then
  mtu=$(cat "/sys/class/net/$uplink/mtu")
  if [ "$mtu" -lt 1500 ]; then
    log "uplink $uplink has MTU $mtu; giving containers the same MTU"
    extra_args+=(--mtu="$mtu")
  fi
fi

# cgroups: runc needs the cgroup hierarchy mounted.
if [ ! -e /sys/fs/cgroup/cgroup.controllers ] && [ -z "$(ls -A /sys/fs/cgroup 2>/dev/null)" ]; then
  log "no cgroup hierarchy mounted; mounting cgroup2 on /sys/fs/cgroup"
  mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || warn "could not mount cgroup2; dockerd may fail"
fi

# Storage driver: overlay2 if an overlay mount works on /var/lib/docker's
# filesystem, else fuse-overlayfs, else vfs (slow but always works).
probe_overlay() {
  local base=/var/lib/docker d ok=1
  mkdir -p "$base"
  d=$(mktemp -d "$base/.werker-overlay-probe.XXXXXX") || return 1
  mkdir -p "$d/l" "$d/u" "$d/w" "$d/m"
  echo probe >"$d/l/f"
  if mount -t overlay overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" "$d/m" 2>/dev/null; then
    if [ "$(cat "$d/m/f" 2>/dev/null)" = probe ] && echo x >"$d/m/g" 2>/dev/null; then ok=0; fi
    umount "$d/m" 2>/dev/null || true
  fi
  rm -rf "$d"
  return $ok
}

drivers=()
if [ -n "${WERKER_DOCKER_STORAGE_DRIVER:-}" ]; then
  drivers=("$WERKER_DOCKER_STORAGE_DRIVER")
else
  if probe_overlay; then
    drivers+=(overlay2)
  else
    log "overlay mounts do not work on /var/lib/docker here"
  fi
  if [ "${#drivers[@]}" -eq 0 ] && [ -e /dev/fuse ]; then
    command -v fuse-overlayfs >/dev/null 2>&1 || apt_install fuse-overlayfs || warn "could not install fuse-overlayfs"
    command -v fuse-overlayfs >/dev/null 2>&1 && drivers+=(fuse-overlayfs)
  fi
  drivers+=(vfs)
fi

# ---------------------------------------------------------- 5. start dockerd
mkdir -p "$(dirname "$LOG")"
started=
for driver in "${drivers[@]}"; do
  log "starting dockerd (storage driver $driver${extra_args[*]:+, ${extra_args[*]}}); log: $LOG"
  {
    echo
    echo "===== $(date -u '+%Y-%m-%dT%H:%M:%SZ') werker setup-docker: dockerd --storage-driver=$driver ${extra_args[*]:-}"
  } >>"$LOG"
  # setsid + nohup: own session, immune to the caller's SIGHUP/job control.
  setsid nohup dockerd --storage-driver="$driver" "${extra_args[@]}" \
    </dev/null >>"$LOG" 2>&1 &
  pid=$!
  disown "$pid" 2>/dev/null || true
  if wait_for_engine "$pid" "$TIMEOUT"; then
    started=$driver
    break
  fi
  if kill -0 "$pid" 2>/dev/null; then
    # Running but not answering: not a storage-driver problem, give up.
    die "dockerd (pid $pid) did not answer within ${TIMEOUT}s; see $LOG"
  fi
  warn "dockerd exited with storage driver $driver (last log lines below)"
  tail -n 5 "$LOG" | sed 's/^/    /' >&2
done

[ -n "$started" ] || die "could not start dockerd with any storage driver (${drivers[*]}); see $LOG"

log "Docker engine answers: dockerd $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'), storage driver $started, pid $(cat "$PIDFILE" 2>/dev/null || echo '?')"
if [ -n "${DOCKER_API_VERSION:-}" ]; then
  log "note: this docker CLI needs DOCKER_API_VERSION=$DOCKER_API_VERSION for this engine"
fi
