#!/usr/bin/env bash
# A deploy target on this machine for the internal/release tests: Debian's openssh-server,
# nginx and cron, all on 127.0.0.1 and all separate from any system instance, using the same
# Docker engine as the tests. Idempotent: what already runs is left alone.
#
#   user          werker-deploy (in the docker group), home $ROOT/home
#   SSH           127.0.0.1:2222, own sshd_config and host key, key-only login
#                 private key  $ROOT/id_ed25519      known_hosts value  $ROOT/known_hosts
#                 also 127.0.0.2:22, the standard port, for scripts that cannot name a port
#                 (the reference user's `ssh user@host` deploy runs unchanged against it)
#   sudo          werker-deploy may run docker as root without a password, as the reference
#                 user's deploy user did (`sudo docker …`); it stays in the docker group too
#   nginx         127.0.0.1:8088, master run as werker-deploy (so a deploy can reload it),
#                 config $ROOT/nginx/nginx.conf, sites werker writes in $ROOT/nginx/sites/*.conf
#                 (reload: nginx -c $ROOT/nginx/nginx.conf -e $ROOT/nginx/error.log -s reload)
#   cron          Debian's cron daemon (user crontabs)
#
# Test-only: the key pair exists to log in to this loopback sshd and nothing else.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck disable=SC2034 # used by lib/common.sh
WERKER_SCRIPT_NAME=setup-deploy-target
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SCRIPT_DIR/lib/common.sh"

ROOT=/var/lib/werker/deploy-test
DEPLOY_USER=werker-deploy
SSH_PORT=2222
SSH_STD_ADDR=127.0.0.2
NGINX_PORT=8088
APT_LOG=/var/log/werker-apt.log

[ "$(id -u)" = 0 ] || die "run as root: this script installs packages, adds the user $DEPLOY_USER and starts sshd, nginx and cron"
command -v apt-get >/dev/null 2>&1 || die "needs apt-get (Debian's openssh-server, nginx and cron)"

# ------------------------------------------------------------------ packages
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
[ -x /usr/sbin/nginx ] || need+=(nginx)
[ -x /usr/sbin/cron ] || need+=(cron)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v flock >/dev/null 2>&1 || need+=(util-linux)
[ -x /usr/bin/sudo ] || need+=(sudo)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]} (apt-get; output in $APT_LOG)"
  apt_get_install_no_start "$APT_LOG" "${need[@]}" || { tail -n 5 "$APT_LOG" >&2; die "apt-get install ${need[*]} failed; see $APT_LOG"; }
fi

# ---------------------------------------------------------------------- user
mkdir -p "$ROOT"
if ! id "$DEPLOY_USER" >/dev/null 2>&1; then
  log "adding user $DEPLOY_USER"
  useradd --system --home-dir "$ROOT/home" --create-home --shell /bin/bash "$DEPLOY_USER"
fi
getent group docker >/dev/null 2>&1 && usermod -aG docker "$DEPLOY_USER"
# "*" = no password but not locked: sshd without PAM refuses locked ("!") accounts even for keys.
usermod -p '*' "$DEPLOY_USER"
HOME_DIR=$(getent passwd "$DEPLOY_USER" | cut -d: -f6)
install -d -m 755 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$HOME_DIR"
install -d -m 700 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$HOME_DIR/.ssh"

# ----------------------------------------------------------------------- keys
[ -s "$ROOT/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "werker-deploy-test" -f "$ROOT/id_ed25519"
chmod 600 "$ROOT/id_ed25519"
install -m 600 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$ROOT/id_ed25519.pub" "$HOME_DIR/.ssh/authorized_keys"
mkdir -p "$ROOT/sshd"
[ -s "$ROOT/sshd/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "werker-deploy-test-host" -f "$ROOT/sshd/ssh_host_ed25519_key"
host_key=$(cut -d' ' -f1,2 "$ROOT/sshd/ssh_host_ed25519_key.pub")
printf '[127.0.0.1]:%s %s\n%s %s\n' "$SSH_PORT" "$host_key" "$SSH_STD_ADDR" "$host_key" >"$ROOT/known_hosts"

# ----------------------------------------------------------------------- sudo
sudoers=/etc/sudoers.d/werker-deploy-test
# Both places a docker CLI lives here: Debian's docker.io, and a newer static one in /usr/local/bin
# (first on sudo's secure_path).
want=$(printf '# werker deploy-test: docker as root, as the reference user ran it\n%s ALL=(root) NOPASSWD: /usr/bin/docker, /usr/local/bin/docker\n' "$DEPLOY_USER")
if [ "$(cat "$sudoers" 2>/dev/null)" != "$want" ]; then
  printf '%s\n' "$want" >"$sudoers.tmp"
  chmod 440 "$sudoers.tmp"
  visudo -cq -f "$sudoers.tmp" || die "visudo rejects $sudoers.tmp"
  mv "$sudoers.tmp" "$sudoers"
fi

# ------------------------------------------------------------------------ sshd
old_config=$(cat "$ROOT/sshd/sshd_config" 2>/dev/null || true)
cat >"$ROOT/sshd/sshd_config" <<EOF
# werker deploy-test sshd: loopback only, key-only, one user.
ListenAddress 127.0.0.1:$SSH_PORT
ListenAddress $SSH_STD_ADDR:22
HostKey $ROOT/sshd/ssh_host_ed25519_key
PidFile $ROOT/sshd/sshd.pid
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
Subsystem sftp internal-sftp
EOF
mkdir -p /run/sshd
sshd_running() { pid_running "$ROOT/sshd/sshd.pid" sshd "$ROOT/sshd/sshd_config"; }
if sshd_running && [ "$old_config" != "$(cat "$ROOT/sshd/sshd_config")" ]; then
  log "sshd_config changed: restarting sshd"
  kill "$(cat "$ROOT/sshd/sshd.pid")"
  for _ in $(seq 1 50); do sshd_running || break; sleep 0.1; done
fi
if ! sshd_running; then
  /usr/sbin/sshd -t -f "$ROOT/sshd/sshd_config" || die "sshd rejects $ROOT/sshd/sshd_config"
  log "starting sshd on 127.0.0.1:$SSH_PORT and $SSH_STD_ADDR:22"
  /usr/sbin/sshd -f "$ROOT/sshd/sshd_config" -E "$ROOT/sshd/sshd.log"
fi

# ----------------------------------------------------------------------- nginx
NGINX=$ROOT/nginx
install -d -m 755 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$NGINX" "$NGINX/sites" "$NGINX/tmp"
cat >"$NGINX/nginx.conf" <<EOF
# werker deploy-test nginx: run as $DEPLOY_USER on 127.0.0.1:$NGINX_PORT; werker writes the sites.
worker_processes 2;
pid $NGINX/nginx.pid;
error_log $NGINX/error.log warn;
events { worker_connections 512; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $NGINX/tmp/body;
    proxy_temp_path $NGINX/tmp/proxy;
    fastcgi_temp_path $NGINX/tmp/fastcgi;
    uwsgi_temp_path $NGINX/tmp/uwsgi;
    scgi_temp_path $NGINX/tmp/scgi;
    # Requests for names no site claims.
    server {
        listen 127.0.0.1:$NGINX_PORT default_server;
        return 404;
    }
    include $NGINX/sites/*.conf;
}
EOF
chown "$DEPLOY_USER:$DEPLOY_USER" "$NGINX/nginx.conf"
nginx_as_user() { su -s /bin/sh "$DEPLOY_USER" -c "/usr/sbin/nginx -c $NGINX/nginx.conf -e $NGINX/error.log $*"; }
if ! pid_running "$NGINX/nginx.pid" nginx "$NGINX/nginx.conf"; then
  log "starting nginx on 127.0.0.1:$NGINX_PORT (as $DEPLOY_USER)"
  nginx_as_user -t -q || die "nginx rejects $NGINX/nginx.conf (or a site in $NGINX/sites)"
  nginx_as_user
fi

# ------------------------------------------------------------------------ cron
if ! pgrep -x cron >/dev/null 2>&1; then
  log "starting cron"
  /usr/sbin/cron
fi

# ----------------------------------------------------------------------- check
for _ in $(seq 1 50); do
  if ssh -q -o BatchMode=yes -o UserKnownHostsFile="$ROOT/known_hosts" -o StrictHostKeyChecking=yes \
    -i "$ROOT/id_ed25519" -p "$SSH_PORT" "$DEPLOY_USER@127.0.0.1" docker version --format '{{.Server.Version}}' >/dev/null 2>&1 &&
    ssh -q -o BatchMode=yes -o UserKnownHostsFile="$ROOT/known_hosts" -o StrictHostKeyChecking=yes \
    -i "$ROOT/id_ed25519" "$DEPLOY_USER@$SSH_STD_ADDR" sudo -n docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    log "deploy target ready: ssh $DEPLOY_USER@127.0.0.1:$SSH_PORT and @$SSH_STD_ADDR (docker and sudo docker work), nginx 127.0.0.1:$NGINX_PORT, cron"
    exit 0
  fi
  sleep 0.2
done
die "cannot ssh to $DEPLOY_USER@127.0.0.1:$SSH_PORT and run docker; see $ROOT/sshd/sshd.log"
