# setup-go-workspace: GOPATH is `gopath`, else the box's $GOPATH, else $HOME/go; the source is
# copied to $GOPATH/src/<package-dir> and WERCKER_SOURCE_DIR is exported pointing there, so later
# steps start in the workspace. package-dir defaults to <git domain>/<owner>/<repository> from
# --git-domain/--git-owner/--git-repository, else (werker) to host/owner/repo of the source's
# origin remote. $GOPATH/bin joins PATH. Without a go.mod the code is GOPATH-era: GO111MODULE=auto
# is exported (unless already set) so today's Go builds it in GOPATH mode, as Go did then.
_wsg_gopath=${WERCKER_SETUP_GO_WORKSPACE_GOPATH:-${GOPATH:-$HOME/go}}
if [ -n "$WERCKER_SETUP_GO_WORKSPACE_PACKAGE_DIR" ]; then
  _wsg_dir="$_wsg_gopath/src/${WERCKER_SETUP_GO_WORKSPACE_PACKAGE_DIR%/}"
elif [ -n "$WERCKER_GIT_REPOSITORY" ]; then
  _wsg_dir="$_wsg_gopath/src/$WERCKER_GIT_DOMAIN/$WERCKER_GIT_OWNER/$WERCKER_GIT_REPOSITORY"
else
  # werker: without --git-* flags, the import path of the source's origin remote (host/owner/repo).
  _wsg_url=$(git -C "$WERCKER_SOURCE_DIR" config --get remote.origin.url 2> /dev/null)
  _wsg_pkg=$(printf '%s\n' "$_wsg_url" | sed -n -e 's#\.git$##' \
    -e 's#^[a-z+]*://\([^@/]*@\)\{0,1\}\([^/:]*\)\(:[0-9]*\)\{0,1\}/\([^/]*/[^/]*\)$#\2/\4#p' \
    -e 's#^[^@/]*@\([^:/]*\):\([^/]*/[^/]*\)$#\1/\2#p')
  if [ -z "$_wsg_pkg" ]; then
    fail "setup-go-workspace: missing package-dir option and no repository info found; set package-dir (e.g. github.com/owner/project) or run werker with --git-domain, --git-owner and --git-repository"
  fi
  info "package-dir from the origin remote: $_wsg_pkg"
  _wsg_dir="$_wsg_gopath/src/$_wsg_pkg"
fi
mkdir -p "$_wsg_gopath/src" "$_wsg_gopath/bin" "$_wsg_gopath/pkg" || fail "setup-go-workspace: cannot create the workspace $_wsg_gopath"
export GOPATH="$_wsg_gopath"
case ":$PATH:" in
  *":$GOPATH/bin:"*) ;;
  *) export PATH="$PATH:$GOPATH/bin" ;;
esac
debug "Created Go workspace in $GOPATH"
_wsg_from=$(cd "$WERCKER_SOURCE_DIR" && pwd -P)
if [ "$_wsg_from" = "$(mkdir -p "$_wsg_dir" && cd "$_wsg_dir" && pwd -P)" ]; then
  info "the source is already at $_wsg_dir"
else
  cp -a "$_wsg_from/." "$_wsg_dir/" || fail "setup-go-workspace: copying the source to $_wsg_dir failed"
fi
export WERCKER_SOURCE_DIR="$_wsg_dir"
cd "$WERCKER_SOURCE_DIR" || fail "setup-go-workspace: cannot enter $WERCKER_SOURCE_DIR"
if [ ! -f go.mod ] && [ -z "${GO111MODULE:-}" ]; then
  export GO111MODULE=auto
  info "no go.mod: GO111MODULE=auto, so go builds in GOPATH mode"
fi
info "\$WERCKER_SOURCE_DIR now points to: $WERCKER_SOURCE_DIR"
success "Go workspace setup finished (GOPATH=$GOPATH)"
unset _wsg_gopath _wsg_dir _wsg_from _wsg_url _wsg_pkg
