# heroku-deploy: force-pushes the source ($WERCKER_ROOT, or source-dir) to the app's git remote,
# branch master, retrying once after 5 s unless retry is false. By default the remote is
# https://git.heroku.com/<app-name>.git with the API key `key` (else $HEROKU_KEY) in ~/.netrc, as
# the Heroku CLI does; wercker's step pushed to git@heroku.com over ssh, which Heroku no longer
# serves. werker's addition: `remote` (else $WERKER_HEROKU_REMOTE, e.g. X_WERKER_HEROKU_REMOTE in
# the ENVIRONMENT file) replaces that remote with any git URL (ssh://…, git://…, a path), so the
# same wercker.yml can deploy to a remote this box can reach; `key` and `app-name` are then
# optional. key-name: the private key in $<key-name>_PRIVATE is the ssh identity for ssh remotes.
# The push is a fresh one-commit repository of the source (kept in a separate git dir; .gitignore
# applies), or with keep-repository: true the source's own git HEAD. `run` runs `heroku run <cmd>`
# after the push and install-toolbelt installs the Heroku CLI (npm package "heroku") if missing.
_whd_main() {
  _whd_key=${WERCKER_HEROKU_DEPLOY_KEY:-${HEROKU_KEY:-}}
  _whd_app=${WERCKER_HEROKU_DEPLOY_APP_NAME:-${HEROKU_APP_NAME:-}}
  _whd_user=${WERCKER_HEROKU_DEPLOY_USER:-${HEROKU_USER:-heroku}}
  _whd_src=${WERCKER_HEROKU_DEPLOY_SOURCE_DIR:-$WERCKER_ROOT}
  _whd_remote=${WERCKER_HEROKU_DEPLOY_REMOTE:-${WERKER_HEROKU_REMOTE:-}}
  if ! command -v git > /dev/null 2>&1; then
    fail "heroku-deploy: git is not installed in this box (install-packages with packages: git)"
  fi
  if [ -z "$_whd_remote" ]; then
    if [ -z "$_whd_key" ]; then
      fail "heroku-deploy: missing or empty option key (the Heroku API key; or set HEROKU_KEY)"
    fi
    if [ -z "$_whd_app" ]; then
      fail "heroku-deploy: missing or empty option app-name (or set HEROKU_APP_NAME)"
    fi
    _whd_remote="https://git.heroku.com/$_whd_app.git"
    (umask 077 && printf 'machine api.heroku.com\n  login %s\n  password %s\nmachine git.heroku.com\n  login %s\n  password %s\n' \
      "$_whd_user" "$_whd_key" "$_whd_user" "$_whd_key" > "$HOME/.netrc") || fail "heroku-deploy: cannot write $HOME/.netrc"
  fi
  info "deploying ${_whd_app:-the source} to $_whd_remote"

  _whd_ssh="ssh -e none -o BatchMode=yes"
  if [ -n "$WERCKER_HEROKU_DEPLOY_KEY_NAME" ]; then
    case "$WERCKER_HEROKU_DEPLOY_KEY_NAME" in
      *[!A-Za-z0-9_]* | [0-9]*) fail "heroku-deploy: key-name \"$WERCKER_HEROKU_DEPLOY_KEY_NAME\" is not a variable name" ;;
    esac
    eval "_whd_pk=\${${WERCKER_HEROKU_DEPLOY_KEY_NAME}_PRIVATE:-}"
    if [ -z "$_whd_pk" ]; then
      fail "heroku-deploy: Missing key error. The key-name is specified, but no key with this name could be found: set ${WERCKER_HEROKU_DEPLOY_KEY_NAME}_PRIVATE (X_ or XXX_${WERCKER_HEROKU_DEPLOY_KEY_NAME}_PRIVATE for werker)"
    fi
    _whd_keydir=$(mktemp -d) || fail "heroku-deploy: mktemp failed"
    (umask 077 && printf '%b\n' "$_whd_pk" > "$_whd_keydir/id_rsa") || fail "heroku-deploy: cannot write the key"
    unset _whd_pk
    _whd_ssh="$_whd_ssh -o IdentitiesOnly=yes -i $_whd_keydir/id_rsa"
  fi

  cd "$_whd_src" || fail "heroku-deploy: could not change directory to source_dir \"$_whd_src\""
  _whd_git=
  if [ "$WERCKER_HEROKU_DEPLOY_KEEP_REPOSITORY" = true ]; then
    git rev-parse --verify -q HEAD > /dev/null 2>&1 || fail "heroku-deploy: no git repository found to push in $_whd_src"
    info "keeping the git repository: pushing $(git rev-parse --short HEAD)"
    _whd_gitargs=
  else
    _whd_git=$(mktemp -d) || fail "heroku-deploy: mktemp failed"
    if ! { git --git-dir="$_whd_git" init -q &&
      git --git-dir="$_whd_git" --work-tree=. add -A &&
      git -c user.name="$_whd_user" -c user.email="$_whd_user" --git-dir="$_whd_git" --work-tree=. commit -q -m 'wercker deploy'; }; then
      fail "heroku-deploy: could not commit $_whd_src"
    fi
    _whd_gitargs="--git-dir=$_whd_git"
  fi

  _whd_try=1
  while :; do
    info "git push -f $_whd_remote HEAD:master"
    # shellcheck disable=SC2086 # _whd_gitargs is one word or nothing
    if _whd_out=$(GIT_TERMINAL_PROMPT=0 GIT_SSH_COMMAND="$_whd_ssh" git $_whd_gitargs push -f "$_whd_remote" HEAD:refs/heads/master 2>&1); then
      _whd_ok=true
    else
      _whd_ok=false
    fi
    if [ -n "$_whd_key" ]; then
      _whd_out=$(printf '%s\n' "$_whd_out" | awk -v t="$_whd_key" '{ while ((i = index($0, t)) > 0) $0 = substr($0, 1, i - 1) "***" substr($0, i + length(t)); print }')
    fi
    printf '%s\n' "$_whd_out"
    if [ "$_whd_ok" = true ] || [ "$_whd_try" -ge 2 ] || [ "$WERCKER_HEROKU_DEPLOY_RETRY" = false ]; then break; fi
    info "push failed, retrying push in 5 seconds"
    sleep 5
    _whd_try=2
  done
  if [ -n "$_whd_git" ]; then rm -rf "$_whd_git"; fi
  if [ -n "${_whd_keydir:-}" ]; then rm -rf "$_whd_keydir"; fi
  if [ "$_whd_ok" != true ]; then
    fail "git push to heroku failed: $_whd_remote: $(printf '%s\n' "$_whd_out" | awk '/^(ssh|fatal|error|remote: error|remote: !|! \[)/ && !m { m = $0 } NF { l = $0 } END { print (m != "" ? m : l) }')"
  fi

  if [ "$WERCKER_HEROKU_DEPLOY_INSTALL_TOOLBELT" = true ] || [ -n "$WERCKER_HEROKU_DEPLOY_RUN" ]; then
    if command -v heroku > /dev/null 2>&1; then
      info "heroku toolbelt is available, and will not be installed by this step"
    elif command -v npm > /dev/null 2>&1; then
      info "installing the Heroku CLI: npm install -g heroku"
      npm install -g heroku || fail "heroku-deploy: heroku toolbelt installation failed"
    elif [ -n "$WERCKER_HEROKU_DEPLOY_RUN" ]; then
      fail "heroku-deploy: the Heroku CLI is not installed in this box and cannot be installed without npm; it is needed for run"
    else
      warn "heroku-deploy: the Heroku CLI is not installed in this box and cannot be installed without npm"
    fi
  fi
  if [ -n "$WERCKER_HEROKU_DEPLOY_RUN" ]; then
    info "heroku run $WERCKER_HEROKU_DEPLOY_RUN --app $_whd_app"
    HEROKU_API_KEY=$_whd_key heroku run "$WERCKER_HEROKU_DEPLOY_RUN" --app "$_whd_app" || fail "heroku run failed"
  fi
  success "deployment to heroku finished successfully"
}
_whd_main
unset _whd_key _whd_app _whd_user _whd_src _whd_remote _whd_ssh _whd_pk _whd_keydir _whd_git _whd_gitargs _whd_try _whd_out _whd_ok
unset -f _whd_main
