# pretty-slack-notify (wantedly/, pasonatquila/; docs/wercker-compat.md §7.3): an after-step that
# posts "<build> for <owner/repo> by <who> has <result> on <branch>(<commit>)" to a Slack incoming
# webhook (`webhook_url`), one attachment coloured good or danger, a deploy naming its target.
# `channel` (without #) overrides the webhook's, `username` defaults to Wercker, `branches` is a
# regular expression the branch must match, `notify_on` (passed or failed) the only result to post,
# `passed_message` / `failed_message` a line put before the text. Any answer but 200 fails the
# step with Slack's error code; the webhook URL (a secret) is never printed, only its host.
# shellcheck source=lib/notify.sh
. "$WERCKER_STEP_ROOT/lib/notify.sh"

_wpsn_escape() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }
_wpsn_link() {
  if [ -n "$1" ]; then printf '<%s|%s>' "$1" "$(_wpsn_escape "$2")"; else _wpsn_escape "$2"; fi
}

_wpsn_main() {
  _wpsn_url=$WERCKER_PRETTY_SLACK_NOTIFY_WEBHOOK_URL
  if [ -z "$_wpsn_url" ]; then
    fail "pretty-slack-notify: webhook_url is empty; give your Slack incoming webhook URL (webhook_url: \$SLACK_WEBHOOK_URL, with X_SLACK_WEBHOOK_URL or XXX_SLACK_WEBHOOK_URL set for werker)"
  fi
  _wpsn_result=${WERCKER_RESULT:-passed}
  _wpsn_branch=$WERCKER_GIT_BRANCH
  if [ -n "$WERCKER_PRETTY_SLACK_NOTIFY_BRANCHES" ]; then
    printf '%s\n' "$_wpsn_branch" | grep -Eq -e "$WERCKER_PRETTY_SLACK_NOTIFY_BRANCHES"
    case $? in
      0) ;;
      1)
        info "'$_wpsn_branch' branch did not match notify branches /$WERCKER_PRETTY_SLACK_NOTIFY_BRANCHES/: skipped to notify"
        return 0 ;;
      *) fail "pretty-slack-notify: branches \"$WERCKER_PRETTY_SLACK_NOTIFY_BRANCHES\" is not a valid regular expression" ;;
    esac
  fi
  if [ -n "$WERCKER_PRETTY_SLACK_NOTIFY_NOTIFY_ON" ] && [ "$WERCKER_PRETTY_SLACK_NOTIFY_NOTIFY_ON" != "$_wpsn_result" ]; then
    info "Result '$_wpsn_result' did not match notify condition '$WERCKER_PRETTY_SLACK_NOTIFY_NOTIFY_ON': skipped to notify"
    return 0
  fi

  _wpsn_repo="$WERCKER_GIT_OWNER/$WERCKER_GIT_REPOSITORY"
  [ -n "$WERCKER_GIT_REPOSITORY" ] || _wpsn_repo=$WERCKER_APPLICATION_NAME
  if [ "$DEPLOY" = true ]; then
    _wpsn_text="$(_wpsn_link "${WERCKER_DEPLOY_URL:-$WERCKER_RUN_URL}" deploy)"
    _wpsn_fallback=deploy
    if [ -n "$WERCKER_DEPLOYTARGET_NAME" ]; then
      _wpsn_text="$_wpsn_text to $(_wpsn_escape "$WERCKER_DEPLOYTARGET_NAME")"
      _wpsn_fallback="$_wpsn_fallback to $WERCKER_DEPLOYTARGET_NAME"
    fi
  else
    _wpsn_text="$(_wpsn_link "${WERCKER_BUILD_URL:-$WERCKER_RUN_URL}" build)"
    _wpsn_fallback=build
  fi
  _wpsn_text="$_wpsn_text for $(_wpsn_link "$WERCKER_APPLICATION_URL" "$_wpsn_repo")"
  _wpsn_fallback="$_wpsn_fallback for $_wpsn_repo"
  if [ -n "$WERCKER_STARTED_BY" ]; then
    _wpsn_text="$_wpsn_text by $(_wpsn_escape "$WERCKER_STARTED_BY")"
    _wpsn_fallback="$_wpsn_fallback by $WERCKER_STARTED_BY"
  fi
  _wpsn_short=$(printf '%s' "$WERCKER_GIT_COMMIT" | cut -c1-8)
  _wpsn_commit_url=''
  case "$WERCKER_GIT_DOMAIN" in
    github.com | bitbucket.org | gitlab.com)
      _wpsn_commit_url="https://$WERCKER_GIT_DOMAIN/$WERCKER_GIT_OWNER/$WERCKER_GIT_REPOSITORY/commit/$WERCKER_GIT_COMMIT" ;;
  esac
  _wpsn_text="$_wpsn_text has $_wpsn_result on $(_wpsn_escape "$_wpsn_branch")($(_wpsn_link "$_wpsn_commit_url" "$_wpsn_short"))"
  _wpsn_fallback="$_wpsn_fallback has $_wpsn_result on $_wpsn_branch($_wpsn_short)"
  _wpsn_color=good _wpsn_extra=$WERCKER_PRETTY_SLACK_NOTIFY_PASSED_MESSAGE
  if [ "$_wpsn_result" != passed ]; then
    _wpsn_color=danger _wpsn_extra=$WERCKER_PRETTY_SLACK_NOTIFY_FAILED_MESSAGE
    if [ -n "$WERCKER_FAILED_STEP_DISPLAY_NAME" ]; then
      _wpsn_text="$_wpsn_text at step $(_wpsn_escape "$WERCKER_FAILED_STEP_DISPLAY_NAME")"
      _wpsn_fallback="$_wpsn_fallback at step $WERCKER_FAILED_STEP_DISPLAY_NAME"
    fi
  fi
  if [ -n "$_wpsn_extra" ]; then
    _wpsn_extra=$(_wn_unescape "$_wpsn_extra")
    _wpsn_text="$(_wpsn_escape "$_wpsn_extra")
$_wpsn_text"
  fi

  _wpsn_channel=${WERCKER_PRETTY_SLACK_NOTIFY_CHANNEL#\#}
  case "$_wpsn_channel" in '' | @*) ;; *) _wpsn_channel="#$_wpsn_channel" ;; esac
  _wpsn_dir=$(mktemp -d 2> /dev/null || { mkdir -p "/tmp/pretty-slack-notify.$$" && echo "/tmp/pretty-slack-notify.$$"; })
  {
    printf '{'
    [ -n "$_wpsn_channel" ] && printf '"channel":%s,' "$(_wn_json_str "$_wpsn_channel")"
    printf '"username":%s,' "$(_wn_json_str "${WERCKER_PRETTY_SLACK_NOTIFY_USERNAME:-Wercker}")"
    printf '"icon_url":"https://secure.gravatar.com/avatar/a08fc43441db4c2df2cef96e0cc8c045?s=140",'
    printf '"attachments":[{"fallback":%s,"text":%s,"color":"%s"}]}' \
      "$(_wn_json_str "$_wpsn_fallback")" "$(_wn_json_str "$_wpsn_text")" "$_wpsn_color"
  } > "$_wpsn_dir/payload.json"

  _wpsn_host=$(_wn_url_host "$_wpsn_url")
  if ! _wn_post "$_wpsn_url" application/json "$_wpsn_dir/payload.json" "$_wpsn_dir/answer" "User-Agent: werker-pretty-slack-notify"; then
    rm -rf "$_wpsn_dir"
    fail "pretty-slack-notify: could not reach the Slack webhook at $_wpsn_host: $_wn_error"
  fi
  _wpsn_answer=$(head -c 300 "$_wpsn_dir/answer" 2> /dev/null)
  rm -rf "$_wpsn_dir"
  if [ "$_wn_status" != 200 ]; then
    case "$_wpsn_answer" in
      no_service | invalid_token | no_team | '') _wpsn_hint="Webhook url not found: check webhook_url" ;;
      channel_not_found) _wpsn_hint="the channel \"$_wpsn_channel\" does not exist" ;;
      channel_is_archived) _wpsn_hint="the channel \"$_wpsn_channel\" is archived" ;;
      *) _wpsn_hint="check webhook_url and channel" ;;
    esac
    fail "pretty-slack-notify: Slack ($_wpsn_host) refused the message: HTTP $_wn_status ${_wpsn_answer:-(no body)}; $_wpsn_hint"
  fi
  success "Notified to Slack${_wpsn_channel:+ $_wpsn_channel}: $_wpsn_fallback"
}

_wpsn_main
unset _wpsn_url _wpsn_result _wpsn_branch _wpsn_repo _wpsn_text _wpsn_fallback _wpsn_short _wpsn_commit_url \
  _wpsn_color _wpsn_extra _wpsn_channel _wpsn_dir _wpsn_host _wpsn_answer _wpsn_hint
unset -f _wpsn_main _wpsn_escape _wpsn_link
_wn_cleanup
