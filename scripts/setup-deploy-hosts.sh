#!/usr/bin/env bash
# Two deploy hosts on this machine for the multi-host internal/release tests: each a network
# namespace of its own behind a bridge, with its own sshd (own host key and address), its own
# Docker Engine (a second dockerd with its own data-root, exec-root, socket and bridge, started
# inside the namespace) and its own nginx, and a mount namespace of its own so that the deploy
# user's home (werker's state dir, lock, audit log) and the nginx directory are per host.
#
#   bridge        wkhosts0, 10.248.0.1/24 on this machine
#   hostN         namespace werker-hostN, address 10.248.0.1N (N = 1, 2)
#     SSH         10.248.0.1N:22, user werker-hosts, key $ROOT/id_ed25519, known_hosts $ROOT/known_hosts
#     Docker      dockerd in the namespace, socket $RUN/hostN/docker.sock (sshd sets DOCKER_HOST)
#     nginx       10.248.0.1N:8088, run as werker-hosts, sites in $ROOT/nginx/sites (per host)
#     registry    127.0.0.1:5000 inside the namespace is forwarded (socat) to this machine's
#                 registry, so the hosts pull the same image names as everything else
#
#   setup-deploy-hosts.sh          start what is not running (idempotent)
#   setup-deploy-hosts.sh stop     stop everything it started and remove the namespaces
#
# Test-only: the key pair exists to log in to these namespaced sshds and nothing else.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck disable=SC2034 # used by lib/common.sh
WERKER_SCRIPT_NAME=setup-deploy-hosts
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SCRIPT_DIR/lib/common.sh"

ROOT=/var/lib/werker/deploy-hosts
RUN=/run/werker-hosts
DEPLOY_USER=werker-hosts
BRIDGE=wkhosts0
NET=10.248.0
HOSTS=(1 2)
NGINX_PORT=8088
REGISTRY_PORT=5000
APT_LOG=/var/log/werker-apt.log

[ "$(id -u)" = 0 ] || die "run as root: this script makes network namespaces and starts sshd, dockerd and nginx in them"

addr() { echo "$NET.1$1"; }
ns() { echo "werker-host$1"; }
# Runs a command in host N: its network namespace and its mount namespace (per-host home and nginx).
in_host() { local n=$1; shift; nsenter --mount="$RUN/host$n.mnt" --net="/run/netns/$(ns "$n")" -- "$@"; }
# Starts a long-running command detached, its own pid in pidfile (sh writes $$, then execs it).
start_detached() { # pidfile log command...
  local pidfile=$1 logfile=$2; shift 2
  setsid sh -c 'echo $$ >"$0"; shift; exec "$@"' "$pidfile" "$logfile" "$@" </dev/null >>"$logfile" 2>&1 &
  for _ in $(seq 1 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
}
# True when PIDFILE names a live COMM process inside host N's network namespace: the per-host
# pid files sit in one /run, which may outlive a boot, and a stale one could name a pid that
# the other host's (or any) process holds now.
host_pid_running() { # N pidfile comm
  pid_running "$2" "$3" || return 1
  [ "$(stat -L -c %i "/proc/$(cat "$2")/ns/net" 2>/dev/null)" = "$(stat -L -c %i "/run/netns/$(ns "$1")" 2>/dev/null)" ]
}
host_socat_running() { pid_running "$RUN/socat-host.pid" socat "bind=$NET.1,"; }
stop_pid() { # pidfile seconds check-command...: stops the process only when the check says it is ours
  local pidfile=$1 secs=$2; shift 2
  "$@" || { rm -f "$pidfile"; return 0; }
  local pid; pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((secs * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# ----------------------------------------------------------------------- stop
if [ "${1:-start}" = stop ]; then
  for n in "${HOSTS[@]}"; do
    d=$RUN/host$n
    stop_pid "$d/sshd.pid" 10 host_pid_running "$n" "$d/sshd.pid" sshd
    stop_pid "$d/socat.pid" 10 host_pid_running "$n" "$d/socat.pid" socat
    stop_pid "$ROOT/host$n/nginx/nginx.pid" 10 host_pid_running "$n" "$ROOT/host$n/nginx/nginx.pid" nginx
    stop_pid "$d/docker.pid" 30 host_pid_running "$n" "$d/docker.pid" dockerd
    if mountpoint -q "$RUN/host$n.mnt" 2>/dev/null; then umount "$RUN/host$n.mnt"; fi
    rm -f "$RUN/host$n.mnt"
    ip netns del "$(ns "$n")" 2>/dev/null || true
  done
  stop_pid "$RUN/socat-host.pid" 10 host_socat_running
  ip link del "$BRIDGE" 2>/dev/null || true
  iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
  log "stopped the deploy hosts (data kept in $ROOT)"
  exit 0
fi

# ------------------------------------------------------------------- packages
need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
[ -x /usr/sbin/nginx ] || need+=(nginx)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]} (apt-get; output in $APT_LOG)"
  apt_get_install_no_start "$APT_LOG" "${need[@]}" || { tail -n 5 "$APT_LOG" >&2; die "apt-get install ${need[*]} failed; see $APT_LOG"; }
fi

# ----------------------------------------------------------------- user, keys
mkdir -p "$ROOT" "$RUN"
if ! id "$DEPLOY_USER" >/dev/null 2>&1; then
  log "adding user $DEPLOY_USER"
  useradd --system --home-dir "$ROOT/home" --create-home --shell /bin/bash "$DEPLOY_USER"
fi
getent group docker >/dev/null 2>&1 || groupadd --system docker
usermod -aG docker "$DEPLOY_USER"
usermod -p '*' "$DEPLOY_USER"
install -d -m 755 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$ROOT/home" "$ROOT/nginx"
[ -s "$ROOT/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "werker-deploy-hosts-test" -f "$ROOT/id_ed25519"
chmod 600 "$ROOT/id_ed25519"
known=
for n in "${HOSTS[@]}"; do
  h=$ROOT/host$n
  install -d -m 755 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$h/home" "$h/nginx" "$h/nginx/sites" "$h/nginx/tmp"
  install -d -m 700 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$h/home/.ssh"
  install -m 600 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$ROOT/id_ed25519.pub" "$h/home/.ssh/authorized_keys"
  install -d -m 700 "$h/sshd" "$h/docker"
  install -d -m 755 "$RUN/host$n"
  [ -s "$h/sshd/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "werker-host$n" -f "$h/sshd/ssh_host_ed25519_key"
  known+="$(addr "$n") $(cut -d' ' -f1,2 "$h/sshd/ssh_host_ed25519_key.pub")"$'\n'
done
printf '%s' "$known" >"$ROOT/known_hosts"

# -------------------------------------------------------------------- network
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  log "making bridge $BRIDGE ($NET.1/24)"
  ip link add "$BRIDGE" type bridge
  ip addr add "$NET.1/24" dev "$BRIDGE"
fi
ip link set "$BRIDGE" up
# Docker's FORWARD policy is DROP and bridged frames go through iptables here: let the hosts
# reach each other (the balancing nginx of one host proxies to the release of the other).
iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
# The registry listens on 127.0.0.1 only: the bridge address forwards to it.
if ! host_socat_running; then
  rm -f "$RUN/socat-host.pid"
  start_detached "$RUN/socat-host.pid" /dev/null socat "TCP-LISTEN:$REGISTRY_PORT,bind=$NET.1,fork,reuseaddr" "TCP:127.0.0.1:$REGISTRY_PORT"
fi
# A private mount for the per-host mount namespace files (a namespace can be bound only there).
if ! mountpoint -q "$RUN"; then mount --bind "$RUN" "$RUN"; mount --make-private "$RUN"; fi

for n in "${HOSTS[@]}"; do
  name=$(ns "$n")
  h=$ROOT/host$n
  d=$RUN/host$n
  if [ ! -e "/run/netns/$name" ]; then
    log "making namespace $name ($(addr "$n"))"
    ip netns add "$name"
  fi
  # A veth whose namespace end is gone (a namespace deleted while something still ran in it) is made again.
  if ! ip -n "$name" link show eth0 >/dev/null 2>&1; then
    ip link del "wkh$n" 2>/dev/null || true
    ip link add "wkh$n" type veth peer name eth0 netns "$name"
    ip link set "wkh$n" master "$BRIDGE" up
    ip -n "$name" addr add "$(addr "$n")/24" dev eth0
    ip -n "$name" link set eth0 up
    ip -n "$name" link set lo up
    ip -n "$name" route add default via "$NET.1"
  fi
  # The host's own view of the files: its home and nginx directory over the shared paths.
  if ! mountpoint -q "$RUN/host$n.mnt"; then
    touch "$RUN/host$n.mnt"
    unshare --mount="$RUN/host$n.mnt" --propagation private sh -c \
      "mount --bind '$h/home' '$ROOT/home' && mount --bind '$h/nginx' '$ROOT/nginx'"
  fi

  # ---------------------------------------------------------------- registry
  if ! host_pid_running "$n" "$d/socat.pid" socat; then
    rm -f "$d/socat.pid"
    start_detached "$d/socat.pid" /dev/null nsenter --mount="$RUN/host$n.mnt" --net="/run/netns/$name" -- \
      socat "TCP-LISTEN:$REGISTRY_PORT,bind=127.0.0.1,fork,reuseaddr" "TCP:$NET.1:$REGISTRY_PORT"
  fi

  # ------------------------------------------------------------------ dockerd
  if ! host_pid_running "$n" "$d/docker.pid" dockerd; then
    rm -f "$d/docker.pid"
    log "starting dockerd in $name (data $h/docker, socket $d/docker.sock)"
    # The same storage driver as this machine's engine (setup-docker.sh chose one that works here).
    driver=$(docker info --format '{{.Driver}}' 2>/dev/null || echo overlay2)
    in_host "$n" setsid dockerd --data-root "$h/docker" --exec-root "$d/exec" -H "unix://$d/docker.sock" \
      --pidfile "$d/docker.pid" --storage-driver "$driver" --mtu 1400 --cgroup-parent "$name" \
      --bip "172.30.$n.1/24" </dev/null >"$h/dockerd.log" 2>&1 &
  fi

  # -------------------------------------------------------------------- sshd
  old=$(cat "$h/sshd/sshd_config" 2>/dev/null || true)
  cat >"$h/sshd/sshd_config" <<EOF
# werker deploy host $n: key-only, one user, its own Docker Engine.
ListenAddress $(addr "$n"):22
HostKey $h/sshd/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
AllowUsers $DEPLOY_USER
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
MaxStartups 50:30:100
MaxSessions 50
AllowTcpForwarding no
X11Forwarding no
SetEnv DOCKER_HOST=unix://$d/docker.sock
EOF
  if [ "$old" != "$(cat "$h/sshd/sshd_config")" ]; then stop_pid "$d/sshd.pid" 10 host_pid_running "$n" "$d/sshd.pid" sshd; fi
  if ! host_pid_running "$n" "$d/sshd.pid" sshd; then
    mkdir -p /run/sshd
    /usr/sbin/sshd -t -f "$h/sshd/sshd_config" || die "sshd rejects $h/sshd/sshd_config"
    log "starting sshd in $name on $(addr "$n"):22"
    in_host "$n" /usr/sbin/sshd -f "$h/sshd/sshd_config" -E "$h/sshd/sshd.log"
  fi

  # ------------------------------------------------------------------- nginx
  cat >"$h/nginx/nginx.conf" <<EOF
# werker deploy host $n: nginx run as $DEPLOY_USER on :$NGINX_PORT; werker writes the sites.
worker_processes 2;
pid $ROOT/nginx/nginx.pid;
error_log $ROOT/nginx/error.log warn;
events { worker_connections 512; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $ROOT/nginx/tmp/body;
    proxy_temp_path $ROOT/nginx/tmp/proxy;
    fastcgi_temp_path $ROOT/nginx/tmp/fastcgi;
    uwsgi_temp_path $ROOT/nginx/tmp/uwsgi;
    scgi_temp_path $ROOT/nginx/tmp/scgi;
    server {
        listen $NGINX_PORT default_server;
        return 404;
    }
    include $ROOT/nginx/sites/*.conf;
}
EOF
  chown "$DEPLOY_USER:$DEPLOY_USER" "$h/nginx/nginx.conf"
  if ! host_pid_running "$n" "$h/nginx/nginx.pid" nginx; then
    log "starting nginx in $name on :$NGINX_PORT (as $DEPLOY_USER)"
    in_host "$n" su -s /bin/sh "$DEPLOY_USER" -c "/usr/sbin/nginx -c $ROOT/nginx/nginx.conf -e $ROOT/nginx/error.log -t -q" ||
      die "nginx of host $n rejects its config (or a site in $h/nginx/sites)"
    in_host "$n" su -s /bin/sh "$DEPLOY_USER" -c "/usr/sbin/nginx -c $ROOT/nginx/nginx.conf -e $ROOT/nginx/error.log"
  fi
done

# ---------------------------------------------------------------------- check
for n in "${HOSTS[@]}"; do
  ok=
  for _ in $(seq 1 150); do
    if ssh -q -o BatchMode=yes -o UserKnownHostsFile="$ROOT/known_hosts" -o StrictHostKeyChecking=yes \
      -i "$ROOT/id_ed25519" "$DEPLOY_USER@$(addr "$n")" docker info --format '{{.Name}}' >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.2
  done
  [ -n "$ok" ] || die "cannot ssh to $DEPLOY_USER@$(addr "$n") and run docker; see $ROOT/host$n/sshd/sshd.log and $ROOT/host$n/dockerd.log"
done
log "deploy hosts ready: ssh $DEPLOY_USER@$(addr 1) and @$(addr 2), each with its own dockerd and nginx (:$NGINX_PORT)"
