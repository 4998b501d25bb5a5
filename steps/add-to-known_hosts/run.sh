# add-to-known_hosts: `ssh-keyscan [-t type] [-p port] [-T timeout] hostname` (three tries, for a
# server still starting) appended to ~/.ssh/known_hosts, and also to /etc/ssh/ssh_known_hosts
# unless local is true (wercker's step wrote the system file). Without a fingerprint every key is
# added, with a warning. With one, only the keys whose fingerprint equals it are added, and the
# step FAILS when none does (wercker's step only warned and went on to a failing ssh later).
# Fingerprints: SHA256 (with or without the "SHA256:" prefix and padding) or MD5 (use-md5: true,
# an "MD5:" prefix, or the 16 colon-separated hex pairs of older ssh-keygen output).
_wkh_main() {
  _wkh_host=$WERCKER_ADD_TO_KNOWN_HOSTS_HOSTNAME
  if [ -z "$_wkh_host" ]; then
    fail "missing or empty hostname, please check your wercker.yml"
  fi
  if ! command -v ssh-keyscan > /dev/null 2>&1; then
    fail "add-to-known_hosts: ssh-keyscan command not found. Cause: ssh-client software probably not installed (install-packages with packages: openssh-client)."
  fi
  mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
  _wkh_files="$HOME/.ssh/known_hosts"
  if [ "$WERCKER_ADD_TO_KNOWN_HOSTS_LOCAL" != true ] && [ -d /etc/ssh ] && [ -w /etc/ssh ]; then
    _wkh_files="$_wkh_files /etc/ssh/ssh_known_hosts"
  fi
  set --
  if [ -n "$WERCKER_ADD_TO_KNOWN_HOSTS_TYPE" ]; then set -- "$@" -t "$WERCKER_ADD_TO_KNOWN_HOSTS_TYPE"; fi
  if [ -n "$WERCKER_ADD_TO_KNOWN_HOSTS_PORT" ]; then set -- "$@" -p "$WERCKER_ADD_TO_KNOWN_HOSTS_PORT"; fi
  if [ -n "$WERCKER_ADD_TO_KNOWN_HOSTS_TIMEOUT" ]; then set -- "$@" -T "$WERCKER_ADD_TO_KNOWN_HOSTS_TIMEOUT"; fi
  _wkh_where="$_wkh_host${WERCKER_ADD_TO_KNOWN_HOSTS_PORT:+ port $WERCKER_ADD_TO_KNOWN_HOSTS_PORT}"
  if ! { _wkh_scan=$(mktemp) && _wkh_err=$(mktemp) && _wkh_one=$(mktemp); }; then fail "add-to-known_hosts: mktemp failed"; fi
  _wkh_try=1
  while :; do
    info "ssh-keyscan $* $_wkh_host"
    ssh-keyscan "$@" "$_wkh_host" > "$_wkh_scan" 2> "$_wkh_err"
    if grep -qv '^#' "$_wkh_scan"; then break; fi
    if [ "$_wkh_try" -ge 3 ]; then
      sed -n '/^#/!p' "$_wkh_err" | tail -n 3
      rm -f "$_wkh_scan" "$_wkh_err" "$_wkh_one"
      fail "add-to-known_hosts: ssh-keyscan got no host key from $_wkh_where${WERCKER_ADD_TO_KNOWN_HOSTS_TYPE:+ (type $WERCKER_ADD_TO_KNOWN_HOSTS_TYPE)}; is an SSH server reachable there?"
    fi
    _wkh_try=$((_wkh_try + 1))
    sleep 1
  done

  _wkh_fp=$(printf '%s' "$WERCKER_ADD_TO_KNOWN_HOSTS_FINGERPRINT" | tr -d ' ')
  _wkh_md5=$WERCKER_ADD_TO_KNOWN_HOSTS_USE_MD5
  case "$_wkh_fp" in
    MD5:*) _wkh_md5=true; _wkh_fp=${_wkh_fp#MD5:} ;;
    SHA256:*) _wkh_fp=${_wkh_fp#SHA256:} ;;
  esac
  if [ "$_wkh_md5" != true ] && printf '%s\n' "$_wkh_fp" | grep -Eq '^([0-9a-fA-F]{2}:){15}[0-9a-fA-F]{2}$'; then
    _wkh_md5=true
  fi
  if [ "$_wkh_md5" = true ]; then
    _wkh_fp=$(printf '%s' "$_wkh_fp" | tr 'A-F' 'a-f')
  else
    _wkh_fp=${_wkh_fp%%=*}
  fi

  _wkh_added=0
  _wkh_seen=
  while IFS= read -r _wkh_key; do
    case "$_wkh_key" in "" | "#"*) continue ;; esac
    if [ -n "$_wkh_fp" ]; then
      printf '%s\n' "$_wkh_key" > "$_wkh_one"
      if [ "$_wkh_md5" = true ]; then
        _wkh_got=$(ssh-keygen -l -E md5 -f "$_wkh_one" 2> /dev/null | awk '{ print $2 }')
        _wkh_cmp=$(printf '%s' "${_wkh_got#MD5:}" | tr 'A-F' 'a-f')
      else
        _wkh_got=$(ssh-keygen -l -E sha256 -f "$_wkh_one" 2> /dev/null | awk '{ print $2 }')
        _wkh_cmp=${_wkh_got#SHA256:}
        _wkh_cmp=${_wkh_cmp%%=*}
      fi
      _wkh_seen="$_wkh_seen $_wkh_got"
      if [ "$_wkh_cmp" != "$_wkh_fp" ]; then
        debug "skipped a key of $_wkh_where: its fingerprint $_wkh_got does not match"
        continue
      fi
    fi
    for _wkh_file in $_wkh_files; do
      touch "$_wkh_file" && chmod 644 "$_wkh_file"
      if ! grep -qxF -- "$_wkh_key" "$_wkh_file"; then
        printf '%s\n' "$_wkh_key" >> "$_wkh_file"
      fi
    done
    debug "added: $(printf '%s' "$_wkh_key" | cut -c1-60)..."
    _wkh_added=$((_wkh_added + 1))
  done < "$_wkh_scan"
  rm -f "$_wkh_scan" "$_wkh_err" "$_wkh_one"
  if [ -z "$_wkh_fp" ]; then
    warn "Skipped checking public key with fingerprint, this setup is vulnerable to a man in the middle attack"
  elif [ "$_wkh_added" -eq 0 ]; then
    fail "add-to-known_hosts: no host key of $_wkh_where matches the fingerprint $WERCKER_ADD_TO_KNOWN_HOSTS_FINGERPRINT (the server offered:$_wkh_seen); nothing was added"
  fi
  success "Successfully added host $_wkh_where to known_hosts ($_wkh_added key(s) in $_wkh_files)"
}
_wkh_main
unset _wkh_host _wkh_files _wkh_where _wkh_scan _wkh_err _wkh_one _wkh_try _wkh_fp _wkh_md5 _wkh_added _wkh_seen _wkh_key _wkh_got _wkh_cmp _wkh_file
unset -f _wkh_main
