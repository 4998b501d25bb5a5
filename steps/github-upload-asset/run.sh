# github-upload-asset (docs/wercker-compat.md §7.3): POST the bytes of `file` (relative to the
# step's directory) to https://uploads.github.com/repos/{owner}/{repo}/releases/{release_id}/assets
# ?name=<name>, then export the asset's id as $WERCKER_GITHUB_UPLOAD_ASSET_ID (or the variable
# `export_id` names). Defaults as wercker's step: `release_id` $WERCKER_GITHUB_CREATE_RELEASE_ID
# (github-create-release exports it), `name` the file's basename (its README called it
# `filename`, also taken), `owner` / `repo` $WERCKER_GIT_OWNER / $WERCKER_GIT_REPOSITORY,
# `content_type` (or content-type) what `file --mime-type` says — werker: else guessed from the
# extension, else application/octet-stream, where wercker's step failed without `file`.
# werker's addition: the upload host is $WERKER_GITHUB_UPLOADS_URL when set.
# shellcheck source=lib/notify.sh
. "$WERCKER_STEP_ROOT/lib/notify.sh"

_wgua_type_of() {
  if command -v file > /dev/null 2>&1 && _wgua_t=$(file --mime-type -b "$1" 2> /dev/null) && [ -n "$_wgua_t" ]; then
    printf '%s' "$_wgua_t"
    return
  fi
  case "$1" in
    *.tar.gz | *.tgz | *.gz) printf application/gzip ;;
    *.zip) printf application/zip ;;
    *.tar) printf application/x-tar ;;
    *.bz2) printf application/x-bzip2 ;;
    *.xz) printf application/x-xz ;;
    *.deb) printf application/vnd.debian.binary-package ;;
    *.rpm) printf application/x-rpm ;;
    *.jar) printf application/java-archive ;;
    *.json) printf application/json ;;
    *.txt | *.md | *.sha256 | *.sha512 | *.asc) printf text/plain ;;
    *) printf application/octet-stream ;;
  esac
}

_wgua_main() {
  _wgua_token=$WERCKER_GITHUB_UPLOAD_ASSET_TOKEN
  _wgua_file=$WERCKER_GITHUB_UPLOAD_ASSET_FILE
  _wgua_owner=${WERCKER_GITHUB_UPLOAD_ASSET_OWNER:-$WERCKER_GIT_OWNER}
  _wgua_repo=${WERCKER_GITHUB_UPLOAD_ASSET_REPO:-$WERCKER_GIT_REPOSITORY}
  _wgua_release=${WERCKER_GITHUB_UPLOAD_ASSET_RELEASE_ID:-$WERCKER_GITHUB_CREATE_RELEASE_ID}
  _wgua_export=${WERCKER_GITHUB_UPLOAD_ASSET_EXPORT_ID:-WERCKER_GITHUB_UPLOAD_ASSET_ID}
  [ -n "$_wgua_token" ] || fail "github-upload-asset: Token not specified; please add a token parameter to the step (token: \$GITHUB_TOKEN, with XXX_GITHUB_TOKEN set for werker)"
  [ -n "$_wgua_file" ] || fail "github-upload-asset: File parameter not specified; please add a file parameter to the step"
  [ -f "$_wgua_file" ] || fail "github-upload-asset: The file does not exist: $_wgua_file (in $(pwd))"
  if [ -z "$_wgua_release" ]; then
    fail "github-upload-asset: no release id: give release_id, or run github-create-release before this step (it exports WERCKER_GITHUB_CREATE_RELEASE_ID)"
  fi
  case "$_wgua_release" in *[!0-9]*) fail "github-upload-asset: release_id \"$_wgua_release\" is not a number" ;; esac
  case "$_wgua_export" in
    *[!A-Za-z0-9_]* | [0-9]*) fail "github-upload-asset: export_id \"$_wgua_export\" is not a variable name" ;;
  esac
  if [ -z "$_wgua_repo" ] || [ -z "$_wgua_owner" ]; then
    fail "github-upload-asset: no GitHub repository: give owner and repo (WERCKER_GIT_OWNER / WERCKER_GIT_REPOSITORY are empty; werker sets them from --git-owner / --git-repository)"
  fi
  case "$_wgua_owner/$_wgua_repo" in
    *[!A-Za-z0-9._/-]* | */*/*) fail "github-upload-asset: \"$_wgua_owner/$_wgua_repo\" is not a GitHub owner/repository" ;;
  esac
  _wgua_name=${WERCKER_GITHUB_UPLOAD_ASSET_NAME:-${WERCKER_GITHUB_UPLOAD_ASSET_FILENAME:-$(basename "$_wgua_file")}}
  _wgua_type=${WERCKER_GITHUB_UPLOAD_ASSET_CONTENT_TYPE:-$(_wgua_type_of "$_wgua_file")}

  _wgua_uploads=${WERKER_GITHUB_UPLOADS_URL:-https://uploads.github.com}
  _wgua_url="${_wgua_uploads%/}/repos/$_wgua_owner/$_wgua_repo/releases/$_wgua_release/assets?name=$(_wn_urlencode "$_wgua_name")"
  _wgua_dir=$(mktemp -d 2> /dev/null || { mkdir -p "/tmp/github-upload-asset.$$" && echo "/tmp/github-upload-asset.$$"; })
  info "uploading $_wgua_file as $_wgua_name ($_wgua_type) to the release $_wgua_release of $_wgua_owner/$_wgua_repo ($(_wn_url_host "$_wgua_uploads"))"
  if ! _wn_post "$_wgua_url" "$_wgua_type" "$_wgua_file" "$_wgua_dir/answer" \
    "Accept: application/vnd.github+json" "Authorization: token $_wgua_token" \
    "User-Agent: werker-github-upload-asset" "X-GitHub-Api-Version: 2022-11-28"; then
    rm -rf "$_wgua_dir"
    fail "github-upload-asset: could not send the asset to GitHub at ${_wgua_url%%\?*}: $_wn_error"
  fi
  if [ "$_wn_status" != 201 ]; then
    _wgua_msg=$(_wn_json_field "$_wgua_dir/answer" message)
    _wgua_errors=$(grep -o '"code": *"[a-z_]*"' "$_wgua_dir/answer" | sed 's/.*"\([a-z_]*\)"$/\1/' | tr '\n' ' ')
    rm -rf "$_wgua_dir"
    case "$_wn_status" in
      401) _wgua_hint="the token is not valid" ;;
      403 | 404) _wgua_hint="the release $_wgua_release does not exist in $_wgua_owner/$_wgua_repo, or the token may not write to it" ;;
      422) _wgua_hint="the release may already have an asset named $_wgua_name" ;;
      *) _wgua_hint="see GitHub's answer" ;;
    esac
    fail "github-upload-asset: GitHub answered HTTP $_wn_status to POST ${_wgua_url%%\?*}: ${_wgua_msg:-no message}${_wgua_errors:+ ($_wgua_errors)}; $_wgua_hint"
  fi
  _wgua_id=$(_wn_json_field "$_wgua_dir/answer" id)
  _wgua_link=$(_wn_json_field "$_wgua_dir/answer" browser_download_url)
  rm -rf "$_wgua_dir"
  case "$_wgua_id" in
    '' | *[!0-9]*) fail "github-upload-asset: GitHub's answer has no asset id" ;;
  esac
  export "$_wgua_export=$_wgua_id"
  info "exporting asset id ($_wgua_id) to environment variable: \$$_wgua_export"
  success "github-upload-asset: uploaded $_wgua_name${_wgua_link:+: $_wgua_link}"
}

_wgua_main
unset _wgua_token _wgua_file _wgua_owner _wgua_repo _wgua_release _wgua_export _wgua_name _wgua_type _wgua_t \
  _wgua_uploads _wgua_url _wgua_dir _wgua_msg _wgua_errors _wgua_hint _wgua_id _wgua_link
unset -f _wgua_main _wgua_type_of
_wn_cleanup
