# rvm-use: `rvm use [--create] <version>` in the pipeline's shell, so the selected Ruby (PATH,
# GEM_HOME) holds for every later step (docs/wercker-compat.md §7.3). RVM is a shell function:
# when it is not loaded yet, its usual scripts are sourced ($HOME/.rvm, /usr/local/rvm,
# /etc/profile.d/rvm.sh), which is how an earlier step that installed RVM leaves it.
# werker's behaviour without RVM (no Debian package has it, and today's boxes such as `ruby:X`
# carry one Ruby instead): the step checks that the box's Ruby is the version asked for
# (`2.1`, `2.1.2`, `ruby-1.9.3-p550`, `jruby-9.4`: the components given must match) and passes
# with a warning, or fails saying which Ruby the box has and how to get the one asked for.
_wru_load_rvm() {
  if command -v rvm > /dev/null 2>&1; then return 0; fi
  for _wru_script in "$HOME/.rvm/scripts/rvm" /usr/local/rvm/scripts/rvm /etc/profile.d/rvm.sh; do
    if [ -f "$_wru_script" ]; then
      info "loading RVM from $_wru_script"
      # shellcheck disable=SC1090
      . "$_wru_script" && command -v rvm > /dev/null 2>&1 && return 0
    fi
  done
  return 1
}
# _wru_matches WANTED ACTUAL: every dot-separated component of WANTED equals ACTUAL's.
_wru_matches() {
  _wru_w=$1.
  _wru_a=$2.
  while [ -n "$_wru_w" ]; do
    [ "${_wru_w%%.*}" = "${_wru_a%%.*}" ] || return 1
    _wru_w=${_wru_w#*.}
    _wru_a=${_wru_a#*.}
  done
  return 0
}
_wru_without_rvm() {
  _wru_engine=ruby
  _wru_version=$1
  case "$_wru_version" in
    *-*) case "${_wru_version%%-*}" in [a-z]*) _wru_engine=${_wru_version%%-*}; _wru_version=${_wru_version#*-} ;; esac ;;
  esac
  _wru_patch=
  case "$_wru_version" in *-p*) _wru_patch=${_wru_version##*-p}; _wru_version=${_wru_version%-p*} ;; esac
  if ! command -v ruby > /dev/null 2>&1; then
    fail "rvm-use: neither RVM nor Ruby is installed in this box; use a box with Ruby $1 (e.g. box: ruby:$_wru_version), or install RVM and that Ruby in an earlier step"
  fi
  _wru_have=$(ruby -e 'print RUBY_ENGINE, " ", (RUBY_ENGINE == "ruby" ? RUBY_VERSION : RUBY_ENGINE_VERSION), " ", RUBY_PATCHLEVEL') ||
    fail "rvm-use: ruby in this box does not run ($(command -v ruby))"
  # shellcheck disable=SC2086 # engine, version and patchlevel as three words
  set -- "$1" $_wru_have
  if [ "$WERCKER_RVM_USE_CREATE" = true ]; then
    warn "create: true needs RVM, which this box does not have; nothing can be installed"
  fi
  if [ "$2" = "$_wru_engine" ] && _wru_matches "$_wru_version" "$3" && { [ -z "$_wru_patch" ] || [ "$_wru_patch" = "$4" ]; }; then
    warn "RVM is not installed in this box; its Ruby ($2 $3, patchlevel $4, $(command -v ruby)) is the one asked for ($1), so it stays in use"
    success "using $(ruby --version)"
    return 0
  fi
  fail "rvm-use: RVM is not installed in this box and its Ruby is $2 $3 (patchlevel $4), not $1. Use a box with that Ruby (e.g. box: ruby:$_wru_version), or install RVM and Ruby $1 in an earlier step"
}
_wru_main() {
  if [ -z "$WERCKER_RVM_USE_VERSION" ]; then
    fail "rvm-use: the version property is empty; give the Ruby to use (version: 2.1.2)"
  fi
  info "Going to use Ruby version $WERCKER_RVM_USE_VERSION"
  if ! _wru_load_rvm; then
    _wru_without_rvm "$WERCKER_RVM_USE_VERSION"
    return
  fi
  info "RVM is installed: $(rvm version 2> /dev/null)"
  set -- use
  if [ "$WERCKER_RVM_USE_CREATE" = true ]; then set -- "$@" --create; fi
  set -- "$@" "$WERCKER_RVM_USE_VERSION"
  info "rvm $*"
  if rvm "$@"; then
    success "finished rvm $*: $(ruby --version 2> /dev/null)"
  else
    fail "rvm-use: rvm $* failed (installed rubies: $(rvm list strings 2> /dev/null | tr '\n' ' '))"
  fi
}
_wru_main
unset _wru_script _wru_w _wru_a _wru_engine _wru_version _wru_patch _wru_have
unset -f _wru_main _wru_load_rvm _wru_matches _wru_without_rvm
