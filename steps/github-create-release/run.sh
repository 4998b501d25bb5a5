# github-create-release (docs/wercker-compat.md §7.3): POST /repos/{owner}/{repo}/releases with
# `tag` (tag_name), `target_commitish` (default $WERCKER_GIT_COMMIT), `title` (name), `body`,
# `draft` and `prerelease` (true/false; GitHub's default when empty), `owner` / `repo` defaulting
# to $WERCKER_GIT_OWNER / $WERCKER_GIT_REPOSITORY; then exports the release's id as
# $WERCKER_GITHUB_CREATE_RELEASE_ID (or the variable `export_id` names) for github-upload-asset.
# Unlike wercker's step the values are JSON-escaped (a quote in the body is fine). werker's
# addition: the API is $WERKER_GITHUB_API_URL when set (GitHub Enterprise: https://HOST/api/v3).
# shellcheck source=lib/notify.sh
. "$WERCKER_STEP_ROOT/lib/notify.sh"

_wgcr_main() {
  _wgcr_token=$WERCKER_GITHUB_CREATE_RELEASE_TOKEN
  _wgcr_tag=$WERCKER_GITHUB_CREATE_RELEASE_TAG
  _wgcr_owner=${WERCKER_GITHUB_CREATE_RELEASE_OWNER:-$WERCKER_GIT_OWNER}
  _wgcr_repo=${WERCKER_GITHUB_CREATE_RELEASE_REPO:-$WERCKER_GIT_REPOSITORY}
  _wgcr_target=${WERCKER_GITHUB_CREATE_RELEASE_TARGET_COMMITISH:-$WERCKER_GIT_COMMIT}
  _wgcr_export=${WERCKER_GITHUB_CREATE_RELEASE_EXPORT_ID:-WERCKER_GITHUB_CREATE_RELEASE_ID}
  [ -n "$_wgcr_token" ] || fail "github-create-release: Token not specified; please add a token parameter to the step (token: \$GITHUB_TOKEN, with XXX_GITHUB_TOKEN set for werker)"
  [ -n "$_wgcr_tag" ] || fail "github-create-release: Tag name not specified; please add a tag parameter to the step"
  case "$WERCKER_GITHUB_CREATE_RELEASE_DRAFT" in '' | true | false) ;; *)
    fail "github-create-release: The parameter draft has to be false or true (it is \"$WERCKER_GITHUB_CREATE_RELEASE_DRAFT\")" ;;
  esac
  case "$WERCKER_GITHUB_CREATE_RELEASE_PRERELEASE" in '' | true | false) ;; *)
    fail "github-create-release: The parameter prerelease has to be false or true (it is \"$WERCKER_GITHUB_CREATE_RELEASE_PRERELEASE\")" ;;
  esac
  case "$_wgcr_export" in
    *[!A-Za-z0-9_]* | [0-9]*) fail "github-create-release: export_id \"$_wgcr_export\" is not a variable name" ;;
  esac
  if [ -z "$_wgcr_repo" ] || [ -z "$_wgcr_owner" ]; then
    fail "github-create-release: no GitHub repository: give owner and repo (WERCKER_GIT_OWNER / WERCKER_GIT_REPOSITORY are empty; werker sets them from --git-owner / --git-repository)"
  fi
  case "$_wgcr_owner/$_wgcr_repo" in
    *[!A-Za-z0-9._/-]* | */*/*) fail "github-create-release: \"$_wgcr_owner/$_wgcr_repo\" is not a GitHub owner/repository" ;;
  esac

  _wgcr_dir=$(mktemp -d 2> /dev/null || { mkdir -p "/tmp/github-create-release.$$" && echo "/tmp/github-create-release.$$"; })
  {
    printf '{"tag_name":%s' "$(_wn_json_str "$_wgcr_tag")"
    [ -n "$_wgcr_target" ] && printf ',"target_commitish":%s' "$(_wn_json_str "$_wgcr_target")"
    [ -n "$WERCKER_GITHUB_CREATE_RELEASE_TITLE" ] && printf ',"name":%s' "$(_wn_json_str "$(_wn_unescape "$WERCKER_GITHUB_CREATE_RELEASE_TITLE")")"
    [ -n "$WERCKER_GITHUB_CREATE_RELEASE_BODY" ] && printf ',"body":%s' "$(_wn_json_str "$(_wn_unescape "$WERCKER_GITHUB_CREATE_RELEASE_BODY")")"
    [ -n "$WERCKER_GITHUB_CREATE_RELEASE_DRAFT" ] && printf ',"draft":%s' "$WERCKER_GITHUB_CREATE_RELEASE_DRAFT"
    [ -n "$WERCKER_GITHUB_CREATE_RELEASE_PRERELEASE" ] && printf ',"prerelease":%s' "$WERCKER_GITHUB_CREATE_RELEASE_PRERELEASE"
    printf '}'
  } > "$_wgcr_dir/release.json"

  _wgcr_api=${WERKER_GITHUB_API_URL:-https://api.github.com}
  _wgcr_url="${_wgcr_api%/}/repos/$_wgcr_owner/$_wgcr_repo/releases"
  info "creating the release $_wgcr_tag of $_wgcr_owner/$_wgcr_repo${_wgcr_target:+ at $_wgcr_target} ($(_wn_url_host "$_wgcr_api"))"
  if ! _wn_post "$_wgcr_url" application/json "$_wgcr_dir/release.json" "$_wgcr_dir/answer" \
    "Accept: application/vnd.github+json" "Authorization: token $_wgcr_token" \
    "User-Agent: werker-github-create-release" "X-GitHub-Api-Version: 2022-11-28"; then
    rm -rf "$_wgcr_dir"
    fail "github-create-release: could not reach GitHub at $_wgcr_url: $_wn_error"
  fi
  if [ "$_wn_status" != 201 ]; then
    _wgcr_msg=$(_wn_json_field "$_wgcr_dir/answer" message)
    _wgcr_errors=$(grep -o '"code": *"[a-z_]*"' "$_wgcr_dir/answer" | sed 's/.*"\([a-z_]*\)"$/\1/' | tr '\n' ' ')
    rm -rf "$_wgcr_dir"
    case "$_wn_status" in
      401) _wgcr_hint="the token is not valid" ;;
      403 | 404) _wgcr_hint="the repository does not exist or the token may not create releases in it (it needs the repo or public_repo scope)" ;;
      422) _wgcr_hint="a release with the tag $_wgcr_tag may already exist" ;;
      *) _wgcr_hint="see GitHub's answer" ;;
    esac
    fail "github-create-release: GitHub answered HTTP $_wn_status to POST $_wgcr_url: ${_wgcr_msg:-no message}${_wgcr_errors:+ ($_wgcr_errors)}; $_wgcr_hint"
  fi
  _wgcr_id=$(_wn_json_field "$_wgcr_dir/answer" id)
  _wgcr_html=$(_wn_json_field "$_wgcr_dir/answer" html_url)
  rm -rf "$_wgcr_dir"
  case "$_wgcr_id" in
    '' | *[!0-9]*) fail "github-create-release: GitHub's answer has no release id" ;;
  esac
  export "$_wgcr_export=$_wgcr_id"
  info "exporting release id ($_wgcr_id) to environment variable: \$$_wgcr_export"
  success "github-create-release: created the release $_wgcr_tag of $_wgcr_owner/$_wgcr_repo${_wgcr_html:+: $_wgcr_html}"
}

_wgcr_main
unset _wgcr_token _wgcr_tag _wgcr_owner _wgcr_repo _wgcr_target _wgcr_export _wgcr_dir \
  _wgcr_api _wgcr_url _wgcr_msg _wgcr_errors _wgcr_hint _wgcr_id _wgcr_html
unset -f _wgcr_main
_wn_cleanup
