# glide-install: `glide install` where the step starts (the source dir, or `cwd:`), which fills
# vendor/ from glide.yaml / glide.lock (docs/wercker-compat.md §7.3). wercker's step carried its
# own glide binary; werker cannot download one (glide is no longer developed and Debian no longer
# packages it), so it uses the box's glide: on PATH, or a `glide` next to this run.sh. Without
# one the step fails saying how to provide it.
_wgi_main() {
  if command -v glide > /dev/null 2>&1; then
    _wgi_glide=glide
  elif [ -x "$WERCKER_STEP_ROOT/glide" ]; then
    _wgi_glide="$WERCKER_STEP_ROOT/glide"
  else
    fail "glide-install: glide is not installed in this box and werker cannot download it; use a box with glide on PATH, install it in an earlier step, or move the project to Go modules (go mod init; go mod vendor)"
  fi
  if [ ! -f glide.yaml ] && [ ! -f glide.yml ]; then
    fail "glide-install: no glide.yaml in $PWD (set the step's cwd: to the package that has it)"
  fi
  if ! command -v go > /dev/null 2>&1; then
    fail "glide-install: go is not installed in this box (glide needs the go command)"
  fi
  info "$("$_wgi_glide" --version 2>&1)"
  info "glide install in $PWD"
  if "$_wgi_glide" install; then
    success "glide install succeeded"
  else
    fail "glide-install: glide install failed (exit code $?)"
  fi
}
_wgi_main
unset _wgi_glide
unset -f _wgi_main
