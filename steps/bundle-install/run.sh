# bundle-install: `bundle install` where the step starts (the source dir, or `cwd:`), skipped when
# there is no Gemfile. Gems go to `path`, by default $WERCKER_CACHE_DIR/bundle-install, which
# persists between runs. With Bundler >= 2.1 the path, `without`, `deployment`, `frozen` and
# `clean` are recorded with `bundle config set --local` (the flags are deprecated there), so a
# later `bundle exec` finds the gems; older bundlers get the flags. Up to three tries (`retry` is
# bundler's own network retry count, default 3); with clear-path (the default) a failed try empties
# the install path first.
_wbi_main() {
  _wbi_gemfile=${WERCKER_BUNDLE_INSTALL_GEMFILE:-Gemfile}
  if [ ! -e "$_wbi_gemfile" ]; then
    info "Skipping bundle install because $_wbi_gemfile was not found in $PWD"
    return 0
  fi
  if ! command -v bundle > /dev/null 2>&1; then
    if ! command -v gem > /dev/null 2>&1; then
      fail "bundle-install: neither bundler nor rubygems is installed in this box (on Debian: install-packages with packages: ruby-bundler)"
    fi
    info "bundler not found, installing it: gem install bundler --version '${WERCKER_BUNDLE_INSTALL_VERSION:->= 1.5.2}'"
    gem install bundler --no-document --version "${WERCKER_BUNDLE_INSTALL_VERSION:->= 1.5.2}" ||
      fail "bundle-install: bundler gem installation failed"
  fi
  info "$(bundle --version)"
  _wbi_major=$(bundle --version | sed -n 's/[^0-9]*\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1/p')
  _wbi_minor=$(bundle --version | sed -n 's/[^0-9]*\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\2/p')
  _wbi_config=false
  if [ "${_wbi_major:-1}" -gt 2 ] || { [ "${_wbi_major:-1}" -eq 2 ] && [ "${_wbi_minor:-0}" -ge 1 ]; }; then
    _wbi_config=true
  fi
  _wbi_path=${WERCKER_BUNDLE_INSTALL_PATH:-$WERCKER_CACHE_DIR/bundle-install/}

  set -- install
  if [ -n "$WERCKER_BUNDLE_INSTALL_GEMFILE" ]; then set -- "$@" --gemfile "$WERCKER_BUNDLE_INSTALL_GEMFILE"; fi
  if [ "$_wbi_config" = true ]; then
    _wbi_set() { info "bundle config set --local $1 $2"; bundle config set --local "$1" "$2" > /dev/null || fail "bundle-install: bundle config set $1 failed"; }
    _wbi_set path "$_wbi_path"
    if [ -n "$WERCKER_BUNDLE_INSTALL_WITHOUT" ]; then _wbi_set without "$WERCKER_BUNDLE_INSTALL_WITHOUT"; fi
    if [ "$WERCKER_BUNDLE_INSTALL_DEPLOYMENT" = true ]; then _wbi_set deployment true; fi
    if [ "$WERCKER_BUNDLE_INSTALL_FROZEN" = true ]; then _wbi_set frozen true; fi
    if [ "$WERCKER_BUNDLE_INSTALL_CLEAN" = true ]; then _wbi_set clean true; fi
    unset -f _wbi_set
  else
    set -- "$@" --path "$_wbi_path"
    if [ -n "$WERCKER_BUNDLE_INSTALL_WITHOUT" ]; then set -- "$@" --without "$WERCKER_BUNDLE_INSTALL_WITHOUT"; fi
    if [ "$WERCKER_BUNDLE_INSTALL_DEPLOYMENT" = true ]; then set -- "$@" --deployment; fi
    if [ "$WERCKER_BUNDLE_INSTALL_FROZEN" = true ]; then set -- "$@" --frozen; fi
    if [ "$WERCKER_BUNDLE_INSTALL_CLEAN" = true ]; then set -- "$@" --clean; fi
  fi
  if [ "$WERCKER_BUNDLE_INSTALL_STANDALONE" = true ]; then set -- "$@" --standalone; fi
  if [ "$WERCKER_BUNDLE_INSTALL_BINSTUBS" = true ]; then set -- "$@" --binstubs; fi
  if [ "$WERCKER_BUNDLE_INSTALL_FULL_INDEX" = true ]; then set -- "$@" --full-index; fi
  if [ "$WERCKER_BUNDLE_INSTALL_LOCAL" = true ]; then set -- "$@" --local; fi
  if [ -n "$WERCKER_BUNDLE_INSTALL_JOBS" ] && [ "$WERCKER_BUNDLE_INSTALL_JOBS" -gt 0 ] 2> /dev/null; then
    set -- "$@" "--jobs=$WERCKER_BUNDLE_INSTALL_JOBS"
  fi
  set -- "$@" --retry "${WERCKER_BUNDLE_INSTALL_RETRY:-3}"

  _wbi_try=1
  while :; do
    info "bundle $* (try $_wbi_try of 3)"
    if bundle "$@"; then
      break
    fi
    if [ "$_wbi_try" -ge 3 ]; then
      fail "bundle-install: bundle install failed 3 times"
    fi
    if [ "$WERCKER_BUNDLE_INSTALL_CLEAR_PATH" = true ]; then
      info "Clearing path: $_wbi_path"
      rm -rf "$_wbi_path"
    fi
    _wbi_try=$((_wbi_try + 1))
  done
  if command -v rbenv > /dev/null 2>&1; then rbenv rehash; fi
  success "bundle install completed successfully (gems in $_wbi_path)"
}
_wbi_main
unset _wbi_gemfile _wbi_major _wbi_minor _wbi_config _wbi_path _wbi_try
unset -f _wbi_main
