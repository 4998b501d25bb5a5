# yarn-install: `yarn install $opts $options [--production]` where the step starts, up to three
# tries (docs/wercker-compat.md §7.3). Two contracts are served: bashaus/yarn-install (`opts`,
# `production`, booleans true/false/1/0) and wercker's (`options`, `use-cache`). The yarn cache
# lives in $WERCKER_CACHE_DIR/wercker/yarn (exported as YARN_CACHE_FOLDER, so later steps that
# call yarn share it); with clear-cache-on-failed a failed try empties it. yarn is `yarn`, else
# Debian's `yarnpkg`; without either, as the originals did, it is installed (`npm install
# --global yarn`) when npm is there.
# _wyi_bool NAME VALUE: true/false for a boolean property; anything else fails the step.
_wyi_bool() {
  case "$2" in
    true | 1) _wyi_value=true ;;
    false | 0 | "") _wyi_value=false ;;
    *) fail "yarn-install: property $1 must be true or false (or 1/0), not \"$2\"" ;;
  esac
}
_wyi_main() {
  _wyi_bool production "$WERCKER_YARN_INSTALL_PRODUCTION"
  _wyi_production=$_wyi_value
  _wyi_bool clear-cache-on-failed "$WERCKER_YARN_INSTALL_CLEAR_CACHE_ON_FAILED"
  _wyi_clear=$_wyi_value
  _wyi_bool use-cache "${WERCKER_YARN_INSTALL_USE_CACHE:-true}"
  _wyi_use_cache=$_wyi_value
  if command -v yarn > /dev/null 2>&1; then
    _wyi_yarn=yarn
  elif command -v yarnpkg > /dev/null 2>&1; then
    _wyi_yarn=yarnpkg
  elif command -v npm > /dev/null 2>&1; then
    info "yarn not found, installing it: npm install --global yarn"
    npm install --global yarn || fail "yarn-install: yarn is not installed and npm install --global yarn failed (use a box with yarn, or Debian's yarnpkg package)"
    _wyi_yarn=yarn
  else
    fail "yarn-install: neither yarn nor npm is installed in this box (use a box with Node.js and yarn; on Debian: install-packages with packages: yarnpkg)"
  fi
  info "$_wyi_yarn $($_wyi_yarn --version)"
  if [ "$_wyi_use_cache" = true ]; then
    export YARN_CACHE_FOLDER="$WERCKER_CACHE_DIR/wercker/yarn"
    mkdir -p "$YARN_CACHE_FOLDER"
    info "yarn cache: $YARN_CACHE_FOLDER"
  fi
  set -- install
  # shellcheck disable=SC2086 # options are words, as in the original steps
  set -- "$@" $WERCKER_YARN_INSTALL_OPTS $WERCKER_YARN_INSTALL_OPTIONS
  if [ "$_wyi_production" = true ]; then
    info "production: devDependencies are skipped"
    set -- "$@" --production
  fi
  _wyi_try=1
  while :; do
    info "$_wyi_yarn $* (try $_wyi_try of 3)"
    if "$_wyi_yarn" "$@"; then
      break
    fi
    if [ "$_wyi_try" -ge 3 ]; then
      fail "yarn-install: yarn install failed 3 times"
    fi
    if [ "$_wyi_clear" = true ]; then
      warn "clearing the yarn cache"
      "$_wyi_yarn" cache clean > /dev/null 2>&1 || true
    fi
    _wyi_try=$((_wyi_try + 1))
  done
  success "yarn install succeeded"
}
_wyi_main
unset _wyi_value _wyi_production _wyi_clear _wyi_use_cache _wyi_yarn _wyi_try
unset -f _wyi_main _wyi_bool
