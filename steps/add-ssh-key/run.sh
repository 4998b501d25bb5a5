# add-ssh-key: the key comes from $<keyname>_PRIVATE (with werker: X_<keyname>_PRIVATE, or
# XXX_<keyname>_PRIVATE to keep it hidden, in the environment or the ENVIRONMENT file). Values reach
# the box with newlines as literal \n, so the key is written with printf %b (wercker used echo -e)
# into ~/.ssh/id_<keyname>, mode 0600. A `Host <host or *>` block with its IdentityFile is put at
# the top of ~/.ssh/config (and of /root/.ssh/config when running as root with another HOME),
# followed by `Host *` so that options already in the file keep applying to every host.
_wak_main() {
  _wak_name=$WERCKER_ADD_SSH_KEY_KEYNAME
  if [ -z "$_wak_name" ]; then
    fail "Private key not found. The keyname was blank, may indicate dollar sign prepended to the keyname."
  fi
  case "$_wak_name" in
    *[!A-Za-z0-9_]* | [0-9]*) fail "add-ssh-key: keyname \"$_wak_name\" is not a variable name; give the name without \$ and without _PRIVATE" ;;
  esac
  eval "_wak_key=\${${_wak_name}_PRIVATE:-}"
  if [ -z "$_wak_key" ]; then
    case "$_wak_name" in
      *_PRIVATE) fail "Private key not found. The keyname should not have _PRIVATE at the end." ;;
    esac
    fail "Private key not found. Be sure to create an environment variable named ${_wak_name}_PRIVATE (X_${_wak_name}_PRIVATE, or XXX_${_wak_name}_PRIVATE to keep it hidden, when running werker) containing the SSH private key."
  fi
  if ! { mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"; }; then fail "add-ssh-key: cannot create $HOME/.ssh"; fi
  _wak_file="$HOME/.ssh/id_$_wak_name"
  (umask 077 && printf '%b\n' "$_wak_key" > "$_wak_file") || fail "add-ssh-key: cannot write $_wak_file"
  chmod 600 "$_wak_file"
  unset _wak_key
  if command -v ssh-keygen > /dev/null 2>&1 && ! ssh-keygen -y -P '' -f "$_wak_file" > /dev/null 2>&1; then
    warn "add-ssh-key: ${_wak_name}_PRIVATE does not read as an unencrypted SSH private key; ssh may not be able to use it"
  fi
  _wak_host=${WERCKER_ADD_SSH_KEY_HOST:-*}
  _wak_homes=$HOME
  if [ "$(id -u 2> /dev/null)" = 0 ] && [ "$HOME" != /root ] && [ -d /root ]; then _wak_homes="$_wak_homes /root"; fi
  for _wak_home in $_wak_homes; do
    _wak_cfg="$_wak_home/.ssh/config"
    mkdir -p "$_wak_home/.ssh" && chmod 700 "$_wak_home/.ssh"
    if ! {
      {
        printf 'Host %s\n    IdentityFile %s\n' "$_wak_host" "$_wak_file"
        if [ -s "$_wak_cfg" ]; then
          printf 'Host *\n'
          cat "$_wak_cfg"
        fi
      } > "$_wak_cfg.werker-new" && mv "$_wak_cfg.werker-new" "$_wak_cfg" && chmod 600 "$_wak_cfg"
    }; then
      fail "add-ssh-key: cannot write $_wak_cfg"
    fi
    info "$_wak_cfg: Host $_wak_host uses $_wak_file"
  done
  success "added the key ${_wak_name}_PRIVATE for host $_wak_host"
}
_wak_main
unset _wak_name _wak_key _wak_file _wak_host _wak_homes _wak_home _wak_cfg
unset -f _wak_main
