# golint: lints ./... where the step starts, drops the lines matching `exclude` (grep -E), prints
# the rest and counts them: from threshold-fail (10) the step fails ("Time to tidy up"), from
# threshold-warn (5) it warns; the count is the step's message. wercker's step shipped golint;
# golint is deprecated and Debian bookworm no longer packages it, so werker uses golint when the box
# has it (PATH or $GOPATH/bin), else staticcheck (Debian: go-staticcheck) restricted to its ST
# checks, which took over golint's rules (naming, doc-comment form, error strings, receivers).
_wgl_main() {
  _wgl_out=$(mktemp) || fail "golint: mktemp failed"
  if command -v golint > /dev/null 2>&1; then
    _wgl_tool=golint
  elif [ -n "$GOPATH" ] && [ -x "$GOPATH/bin/golint" ]; then
    _wgl_tool="$GOPATH/bin/golint"
  elif [ -x "$HOME/go/bin/golint" ]; then
    _wgl_tool="$HOME/go/bin/golint"
  elif command -v staticcheck > /dev/null 2>&1; then
    _wgl_tool=staticcheck
  elif command -v go-staticcheck > /dev/null 2>&1; then
    _wgl_tool=go-staticcheck
  else
    fail "golint: golint is not installed in this box (Debian bookworm has no golint package: install go-staticcheck, whose style checks werker runs in its place, or put golint on PATH)"
  fi
  case "$_wgl_tool" in
    *staticcheck)
      if ! command -v go > /dev/null 2>&1; then
        fail "golint: $_wgl_tool needs the Go toolchain (go) on PATH"
      fi
      info "golint is not installed; using $_wgl_tool's style checks (ST*) in its place"
      "$_wgl_tool" -f text -checks 'ST1000,ST1001,ST1003,ST1005,ST1006,ST1008,ST1012,ST1016,ST1020,ST1021,ST1022' ./... > "$_wgl_out" 2>&1
      # A package that does not load (not in GOPATH, no go.mod, compile errors) is not a lint finding.
      if grep -Eq '^-: |\(compile\)$' "$_wgl_out"; then
        cat "$_wgl_out"
        rm -f "$_wgl_out"
        fail "golint: the Go packages in $PWD could not be loaded (see above); is the source in GOPATH (setup-go-workspace) or a module?"
      fi
      ;;
    *) "$_wgl_tool" ./... > "$_wgl_out" 2>&1 ;;
  esac
  if [ -n "$WERCKER_GOLINT_EXCLUDE" ]; then
    grep -vE -- "$WERCKER_GOLINT_EXCLUDE" "$_wgl_out" > "$_wgl_out.kept"
    mv "$_wgl_out.kept" "$_wgl_out"
  fi
  cat "$_wgl_out"
  _wgl_lines=$(grep -c . "$_wgl_out")
  rm -f "$_wgl_out"
  if [ "$_wgl_lines" -ge "${WERCKER_GOLINT_THRESHOLD_FAIL:-10}" ]; then
    fail "Time to tidy up: $_wgl_lines lint warnings."
  fi
  if [ "$_wgl_lines" -ge "${WERCKER_GOLINT_THRESHOLD_WARN:-5}" ]; then
    setMessage "You should be tidying soon: $_wgl_lines lint warnings."
    warn "You should be tidying soon: $_wgl_lines lint warnings."
  elif [ "$_wgl_lines" -gt 0 ]; then
    setMessage "You are fairly tidy: $_wgl_lines lint warnings."
    info "You are fairly tidy: $_wgl_lines lint warnings."
  else
    success "No lint warnings."
  fi
}
_wgl_main
unset _wgl_out _wgl_tool _wgl_lines
unset -f _wgl_main
