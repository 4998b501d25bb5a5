# gh-pages (lukevivier/gh-pages, uetchy/gh-pages): the directory `path` or `basedir` (default: where
# the step starts) becomes a fresh single commit, force-pushed to `branch` (default gh-pages; master
# for a <owner>/<owner>.github.io repository). `domain` writes a CNAME file into the directory.
# `repo` is owner/name on GitHub, pushed to over https with `token`, or else any git URL or path
# (ssh://…, git://…, https://… — the token is put in an https URL that has no user —, /srv/x.git),
# werker's addition, so a pipeline can deploy to a remote it can reach. Without `repo`, the build's
# own repository when --git-domain is github.com. The commit is made in a separate git dir: the
# directory's (or the project's) own .git is left alone, where the original step deleted it.
_wgp_main() {
  if ! command -v git > /dev/null 2>&1; then
    fail "gh-pages: git is not installed in this box (install-packages with packages: git)"
  fi
  _wgp_token=$WERCKER_GH_PAGES_TOKEN
  _wgp_repo=$WERCKER_GH_PAGES_REPO
  if [ -z "$_wgp_repo" ]; then
    if [ "$WERCKER_GIT_DOMAIN" = github.com ] && [ -n "$WERCKER_GIT_REPOSITORY" ]; then
      _wgp_repo="$WERCKER_GIT_OWNER/$WERCKER_GIT_REPOSITORY"
    else
      fail "gh-pages: missing option \"repo\" (owner/name of a GitHub repository, or a git URL), aborting"
    fi
  fi
  _wgp_branch=$WERCKER_GH_PAGES_BRANCH
  if printf '%s\n' "$_wgp_repo" | grep -Eq '^[A-Za-z0-9_-][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+$'; then
    if [ -z "$_wgp_token" ]; then
      fail "gh-pages: missing option \"token\", aborting"
    fi
    _wgp_remote="https://$_wgp_token@github.com/$_wgp_repo.git"
    _wgp_shown="https://***@github.com/$_wgp_repo.git"
    if [ -z "$_wgp_branch" ]; then
      _wgp_owner=$(printf '%s' "${_wgp_repo%%/*}" | tr '[:upper:]' '[:lower:]')
      case "$(printf '%s' "${_wgp_repo#*/}" | tr '[:upper:]' '[:lower:]')" in
        "$_wgp_owner.github.io" | "$_wgp_owner.github.com") _wgp_branch=master ;;
      esac
    fi
  else
    _wgp_remote=$_wgp_repo
    _wgp_shown=$_wgp_repo
    case "$_wgp_repo" in
      http://*@* | https://*@*) ;;
      http://* | https://*)
        if [ -n "$_wgp_token" ]; then
          _wgp_remote="${_wgp_repo%%://*}://$_wgp_token@${_wgp_repo#*://}"
          _wgp_shown="${_wgp_repo%%://*}://***@${_wgp_repo#*://}"
        fi
        ;;
    esac
  fi
  _wgp_branch=${_wgp_branch:-gh-pages}
  info "using repo \"$_wgp_shown\", branch $_wgp_branch"

  _wgp_sub=${WERCKER_GH_PAGES_PATH:-$WERCKER_GH_PAGES_BASEDIR}
  if [ -n "$_wgp_sub" ]; then
    if [ ! -d "$_wgp_sub" ]; then
      fail "gh-pages: $_wgp_sub is not a directory in $PWD (did the build produce it?)"
    fi
    _wgp_dir=$(cd "$_wgp_sub" && pwd)
  else
    _wgp_dir=$PWD
  fi
  if [ -n "$WERCKER_GH_PAGES_DOMAIN" ]; then
    info "writing CNAME for $WERCKER_GH_PAGES_DOMAIN"
    printf '%s\n' "$WERCKER_GH_PAGES_DOMAIN" > "$_wgp_dir/CNAME"
  fi

  _wgp_git=$(mktemp -d) || fail "gh-pages: mktemp failed"
  _wgp_msg="deploy from ${WERCKER_STARTED_BY:-werker}${WERCKER_GIT_COMMIT:+ at $WERCKER_GIT_COMMIT}"
  if ! { git --git-dir="$_wgp_git" init -q &&
    git --git-dir="$_wgp_git" --work-tree="$_wgp_dir" add -A &&
    git -c user.name=werckerbot -c user.email=werckerbot@localhost --git-dir="$_wgp_git" --work-tree="$_wgp_dir" \
      commit -q -m "$_wgp_msg"; }; then
    rm -rf "$_wgp_git"
    fail "gh-pages: could not commit $_wgp_dir (is it empty?)"
  fi
  info "pushing $(git --git-dir="$_wgp_git" ls-files | wc -l | tr -d ' ') files from $_wgp_dir"
  if _wgp_out=$(GIT_TERMINAL_PROMPT=0 GIT_SSH_COMMAND="${GIT_SSH_COMMAND:-ssh -o BatchMode=yes}" \
    git --git-dir="$_wgp_git" push -f "$_wgp_remote" "HEAD:refs/heads/$_wgp_branch" 2>&1); then
    _wgp_ok=true
  else
    _wgp_ok=false
  fi
  rm -rf "$_wgp_git"
  if [ -n "$_wgp_token" ]; then
    _wgp_out=$(printf '%s\n' "$_wgp_out" | awk -v t="$_wgp_token" '{ while ((i = index($0, t)) > 0) $0 = substr($0, 1, i - 1) "***" substr($0, i + length(t)); print }')
  fi
  printf '%s\n' "$_wgp_out"
  if [ "$_wgp_ok" = true ]; then
    success "pushed $_wgp_dir to $_wgp_shown, branch $_wgp_branch"
  else
    fail "gh-pages: could not push to $_wgp_shown (branch $_wgp_branch): $(printf '%s\n' "$_wgp_out" | awk '/^(ssh|fatal|error|remote: error|remote: !|! \[)/ && !m { m = $0 } NF { l = $0 } END { print (m != "" ? m : l) }')"
  fi
}
_wgp_main
unset _wgp_token _wgp_repo _wgp_branch _wgp_remote _wgp_shown _wgp_owner _wgp_sub _wgp_dir _wgp_git _wgp_msg _wgp_out _wgp_ok
unset -f _wgp_main
