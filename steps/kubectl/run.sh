# kubectl: `kubectl <global flags> <raw-global-args> <command> <command flags> <raw-args>`, evaluated
# by the shell as wercker's step did, so a command such as `delete secret x; echo done` or one with
# quoted words works as it did there. Global flags: --token --username --password --server
# --certificate-authority --client-certificate --client-key --insecure-skip-tls-verify; command
# flags: --file --output --template --patch … --overwrite, each from the property of that name
# (values are quoted, so they stay one word). `status-command` runs afterwards with the global
# flags (e.g. `rollout status deployment/x`). wercker's step shipped its own kubectl; werker uses
# the box's and fails clearly when there is none. `debug: true` prints the command, secrets masked.
_wkc_q() { # $1 as one single-quoted shell word
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}
_wkc_main() {
  if [ -z "$WERCKER_KUBECTL_COMMAND" ]; then
    fail "wercker-kubectl: command argument cannot be empty"
  fi
  if ! command -v kubectl > /dev/null 2>&1; then
    fail "kubectl is not installed in this box; use a box that has kubectl (on Debian: install-packages with packages: kubernetes-client). wercker's step brought its own kubectl; werker does not download it"
  fi
  _wkc_global=
  _wkc_shown=
  for _wkc_p in token username password server certificate-authority client-certificate client-key insecure-skip-tls-verify; do
    _wkc_var=WERCKER_KUBECTL_$(printf '%s' "$_wkc_p" | tr 'a-z-' 'A-Z_')
    eval "_wkc_v=\${$_wkc_var:-}"
    if [ -n "$_wkc_v" ]; then
      _wkc_global="$_wkc_global --$_wkc_p=$(_wkc_q "$_wkc_v")"
      case "$_wkc_p" in
        token | password) _wkc_shown="$_wkc_shown --$_wkc_p=***" ;;
        *) _wkc_shown="$_wkc_shown --$_wkc_p=$_wkc_v" ;;
      esac
    fi
  done
  _wkc_args=
  for _wkc_p in file output template patch interactive image timeout update-period deployment-label-key poll-interval rollback replicas current-replicas resource-version pod stdin tty grace-period selector all overwrite; do
    _wkc_var=WERCKER_KUBECTL_$(printf '%s' "$_wkc_p" | tr 'a-z-' 'A-Z_')
    eval "_wkc_v=\${$_wkc_var:-}"
    if [ -n "$_wkc_v" ]; then _wkc_args="$_wkc_args --$_wkc_p=$(_wkc_q "$_wkc_v")"; fi
  done
  info "Running kubectl version:"
  kubectl version --client 2>&1 || true
  info "Running kubectl command"
  if [ "$WERCKER_KUBECTL_DEBUG" = true ]; then
    info "kubectl$_wkc_shown $WERCKER_KUBECTL_RAW_GLOBAL_ARGS $WERCKER_KUBECTL_COMMAND$_wkc_args $WERCKER_KUBECTL_RAW_ARGS"
  fi
  eval "kubectl $_wkc_global $WERCKER_KUBECTL_RAW_GLOBAL_ARGS $WERCKER_KUBECTL_COMMAND $_wkc_args $WERCKER_KUBECTL_RAW_ARGS"
  _wkc_status=$?
  if [ "$_wkc_status" -ne 0 ]; then
    fail "kubectl $(printf '%s' "$WERCKER_KUBECTL_COMMAND" | cut -d' ' -f1) failed (exit code $_wkc_status)"
  fi
  if [ -n "$WERCKER_KUBECTL_STATUS_COMMAND" ]; then
    info "kubectl $WERCKER_KUBECTL_STATUS_COMMAND"
    eval "kubectl $_wkc_global $WERCKER_KUBECTL_RAW_GLOBAL_ARGS $WERCKER_KUBECTL_STATUS_COMMAND" ||
      fail "kubectl $WERCKER_KUBECTL_STATUS_COMMAND failed"
  fi
  success "kubectl $(printf '%s' "$WERCKER_KUBECTL_COMMAND" | cut -d' ' -f1) done"
}
_wkc_main
unset _wkc_global _wkc_shown _wkc_args _wkc_p _wkc_var _wkc_v _wkc_status
unset -f _wkc_main _wkc_q
