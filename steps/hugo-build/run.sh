# arjen/hugo-build: `hugo --source=$WERCKER_SOURCE_DIR/<basedir> <flags>`, with --theme and --config
# from their properties. Differences from arjen's step, which downloaded the Hugo release named by
# `version` from the internet: werker uses the box's hugo, installing the distribution's package
# with apt-get when there is none, and says so when `version` differs from it. `dev_flags`
# replace `flags` on development branches (every branch not in prod_branches when that is set,
# else the branches in dev_branches when that is set, else every branch); theme and config are
# kept either way. clean_before (default true) empties <basedir>/public first.
_whb_src="$WERCKER_SOURCE_DIR"
if [ -n "$WERCKER_HUGO_BUILD_BASEDIR" ]; then _whb_src="$WERCKER_SOURCE_DIR/${WERCKER_HUGO_BUILD_BASEDIR%/}"; fi

_whb_apt_install() { # apt-get install the given packages, or return 1
  command -v apt-get > /dev/null 2>&1 || return 1
  { ls /var/lib/apt/lists/*Packages* > /dev/null 2>&1 || apt-get update; } &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

_whb_is_dev_branch() {
  if [ -n "$WERCKER_HUGO_BUILD_PROD_BRANCHES" ]; then
    for _whb_b in $WERCKER_HUGO_BUILD_PROD_BRANCHES; do
      if [ "$_whb_b" = "$WERCKER_GIT_BRANCH" ]; then return 1; fi
    done
    return 0
  fi
  if [ -n "$WERCKER_HUGO_BUILD_DEV_BRANCHES" ]; then
    for _whb_b in $WERCKER_HUGO_BUILD_DEV_BRANCHES; do
      if [ "$_whb_b" = "$WERCKER_GIT_BRANCH" ]; then return 0; fi
    done
    return 1
  fi
  return 0
}

if [ ! -d "$_whb_src" ]; then
  fail "hugo-build: the site directory $_whb_src does not exist (check basedir)"
fi
if ! command -v hugo > /dev/null 2>&1; then
  info "hugo is not installed in this box; installing the distribution's hugo package"
  _whb_apt_install hugo || fail "hugo-build: hugo is not installed in this box and could not be installed with apt-get; werker does not download Hugo releases, so use a box with hugo"
fi
_whb_have=$(hugo version 2> /dev/null | sed -n 's/.*v\([0-9][0-9]*\.[0-9][0-9.]*\).*/\1/p' | head -n 1)
info "using $(command -v hugo), Hugo ${_whb_have:-(unknown version)}"
case "$WERCKER_HUGO_BUILD_VERSION" in
  "" | false | "$_whb_have" | "$_whb_have".*) ;;
  *) info "version $WERCKER_HUGO_BUILD_VERSION was asked for; werker does not download Hugo releases, so the box's Hugo $_whb_have builds the site" ;;
esac
if [ "$WERCKER_HUGO_BUILD_FORCE_INSTALL" = true ]; then
  warn "force_install: werker does not download Hugo releases; using the box's Hugo $_whb_have"
fi
if [ "$WERCKER_HUGO_BUILD_INSTALL_PYGMENTS" = true ] && ! command -v pygmentize > /dev/null 2>&1; then
  info "installing pygments (python3-pygments)"
  _whb_apt_install python3-pygments || warn "hugo-build: could not install pygments; Hugo's built-in highlighter (Chroma) still works"
fi

_whb_flags=$WERCKER_HUGO_BUILD_FLAGS
if [ -n "$WERCKER_HUGO_BUILD_DEV_FLAGS" ] && _whb_is_dev_branch; then
  info "development branch ${WERCKER_GIT_BRANCH:-(none)}: using dev_flags"
  _whb_flags=$WERCKER_HUGO_BUILD_DEV_FLAGS
fi
_whb_show=$_whb_flags
if [ -n "$WERCKER_HUGO_BUILD_THEME" ]; then
  _whb_flags="$_whb_flags --theme=\"\$WERCKER_HUGO_BUILD_THEME\""
  _whb_show="$_whb_show --theme=$WERCKER_HUGO_BUILD_THEME"
fi
if [ -n "$WERCKER_HUGO_BUILD_CONFIG" ]; then
  _whb_flags="$_whb_flags --config=\"\$_whb_src/\$WERCKER_HUGO_BUILD_CONFIG\""
  _whb_show="$_whb_show --config=$_whb_src/$WERCKER_HUGO_BUILD_CONFIG"
fi

if [ "$WERCKER_HUGO_BUILD_CLEAN_BEFORE" = true ] && [ -d "$_whb_src/public" ]; then
  info "Cleaning the public directory"
  rm -rf "${_whb_src:?}/public/"*
fi
# Hugo refuses a site without a content directory.
mkdir -p "$_whb_src/content"

info "hugo --source=$_whb_src $_whb_show"
if eval "hugo --source=\"\$_whb_src\" $_whb_flags"; then
  success "Hugo built the site in $_whb_src"
else
  fail "hugo-build: hugo failed (exit code $?)"
fi
unset _whb_src _whb_have _whb_flags _whb_show _whb_b
unset -f _whb_apt_install _whb_is_dev_branch
