# The shellcheck step: `shellcheck [--exclude=…] [--format=…] [--shell=…] <files>`, where the step starts.
# `files` is split on `separator` (default a space) and each part is a glob; a part matching nothing
# fails the step. wercker's step shipped a shellcheck binary; werker uses the box's.
_wsc_main() {
  if ! command -v shellcheck > /dev/null 2>&1; then
    fail "shellcheck: shellcheck is not installed in this box (Debian: install-packages with packages: shellcheck)"
  fi
  shellcheck -V | sed -n 's/^version: /shellcheck /p'
  set --
  if [ -n "$WERCKER_SHELLCHECK_EXCLUDE" ]; then set -- "$@" "--exclude=$WERCKER_SHELLCHECK_EXCLUDE"; fi
  if [ -n "$WERCKER_SHELLCHECK_FORMAT" ]; then set -- "$@" "--format=$WERCKER_SHELLCHECK_FORMAT"; fi
  if [ -n "$WERCKER_SHELLCHECK_SHELL" ]; then set -- "$@" "--shell=$WERCKER_SHELLCHECK_SHELL"; fi
  if [ -z "$WERCKER_SHELLCHECK_FILES" ]; then
    fail "No files specified (or glob retrieved no files)"
  fi
  _wsc_ifs=$IFS
  IFS=${WERCKER_SHELLCHECK_SEPARATOR:- }
  _wsc_missing=
  # shellcheck disable=SC2086 # split on the separator, then globbed
  for _wsc_f in $WERCKER_SHELLCHECK_FILES; do
    if [ -e "$_wsc_f" ]; then set -- "$@" "$_wsc_f"; else _wsc_missing="$_wsc_missing $_wsc_f"; fi
  done
  IFS=$_wsc_ifs
  if [ -n "$_wsc_missing" ]; then
    fail "No files specified (or glob retrieved no files):$_wsc_missing in $PWD"
  fi
  info "shellcheck $*"
  if shellcheck "$@"; then
    success "No problems detected"
  else
    fail "shellcheck found problems (exit code $?)"
  fi
}
_wsc_main
unset _wsc_ifs _wsc_missing _wsc_f
unset -f _wsc_main
