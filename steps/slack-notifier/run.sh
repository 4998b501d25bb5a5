# slack-notifier (docs/wercker-compat.md §7.3): an after-step that posts the run's result
# ($WERCKER_RESULT, and the failed step's name, §3.3) to a Slack incoming webhook `url`, as one
# attachment coloured good or danger, with wercker's defaults (username werckerbot, wercker's
# icon). `channel` overrides the webhook's channel (with or without #); `notify_on: failed` posts
# only failures; `branch` posts only for that branch. Any answer but 200 fails the step with
# Slack's error code; the webhook URL (a secret) is never printed, only its host.
# shellcheck source=lib/notify.sh
. "$WERCKER_STEP_ROOT/lib/notify.sh"

_wsn_escape() {
  # Slack's message syntax: & < > escaped, links as <url|label>.
  printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'
}

_wsn_link() {
  if [ -n "$1" ]; then printf '<%s|%s>' "$1" "$(_wsn_escape "$2")"; else _wsn_escape "$2"; fi
}

_wsn_main() {
  _wsn_url=$WERCKER_SLACK_NOTIFIER_URL
  if [ -z "$_wsn_url" ]; then
    fail "slack-notifier: url is empty; give the Slack incoming webhook URL (url: \$SLACK_URL, with X_SLACK_URL or XXX_SLACK_URL set for werker)"
  fi
  _wsn_result=${WERCKER_RESULT:-}
  if [ -z "$_wsn_result" ]; then
    info "slack-notifier: WERCKER_RESULT is only set for after-steps; as a main step, every step before it passed"
    _wsn_result=passed
  fi
  case "$WERCKER_SLACK_NOTIFIER_NOTIFY_ON" in
    failed)
      if [ "$_wsn_result" = passed ]; then
        info "slack-notifier: the run passed and notify_on is failed: nothing posted"
        return 0
      fi ;;
    '' | always) ;;
    *) warn "slack-notifier: notify_on \"$WERCKER_SLACK_NOTIFIER_NOTIFY_ON\" is not \"failed\": posting whatever the result" ;;
  esac
  if [ -n "$WERCKER_SLACK_NOTIFIER_BRANCH" ] && [ "$WERCKER_SLACK_NOTIFIER_BRANCH" != "$WERCKER_GIT_BRANCH" ]; then
    info "slack-notifier: branch \"$WERCKER_GIT_BRANCH\" is not \"$WERCKER_SLACK_NOTIFIER_BRANCH\": nothing posted"
    return 0
  fi

  if [ "$DEPLOY" = true ]; then
    _wsn_action=deploy _wsn_action_url=${WERCKER_DEPLOY_URL:-$WERCKER_RUN_URL}
  else
    _wsn_action=build _wsn_action_url=${WERCKER_BUILD_URL:-$WERCKER_RUN_URL}
  fi
  _wsn_app=${WERCKER_APPLICATION_NAME:-$WERCKER_GIT_REPOSITORY}
  _wsn_about="for $_wsn_app"
  [ -n "$WERCKER_STARTED_BY" ] && _wsn_about="$_wsn_about by $WERCKER_STARTED_BY"
  _wsn_about="$_wsn_about has $_wsn_result"
  [ -n "$WERCKER_GIT_BRANCH" ] && _wsn_about="$_wsn_about on branch $WERCKER_GIT_BRANCH"
  _wsn_text=$(printf '%s %s' "$(_wsn_link "$_wsn_action_url" "$_wsn_action")" "$(_wsn_escape "$_wsn_about")")
  _wsn_fallback="$_wsn_action $_wsn_about"
  if [ -n "$WERCKER_GIT_COMMIT" ]; then
    _wsn_short=$(printf '%s' "$WERCKER_GIT_COMMIT" | cut -c1-7)
    _wsn_commit_url=''
    if [ -n "$WERCKER_GIT_DOMAIN" ] && [ -n "$WERCKER_GIT_OWNER" ] && [ -n "$WERCKER_GIT_REPOSITORY" ]; then
      _wsn_commit_url="https://$WERCKER_GIT_DOMAIN/$WERCKER_GIT_OWNER/$WERCKER_GIT_REPOSITORY/commit/$WERCKER_GIT_COMMIT"
    fi
    _wsn_text="$_wsn_text ($(_wsn_link "$_wsn_commit_url" "$_wsn_short"))"
    _wsn_fallback="$_wsn_fallback ($_wsn_short)"
  fi
  _wsn_color=good
  if [ "$_wsn_result" = failed ]; then
    _wsn_color=danger
    if [ -n "$WERCKER_FAILED_STEP_DISPLAY_NAME" ]; then
      _wsn_text="$_wsn_text at step: $(_wsn_escape "$WERCKER_FAILED_STEP_DISPLAY_NAME")"
      _wsn_fallback="$_wsn_fallback at step: $WERCKER_FAILED_STEP_DISPLAY_NAME"
    fi
  fi

  _wsn_channel=${WERCKER_SLACK_NOTIFIER_CHANNEL#\#}
  case "$_wsn_channel" in '' | @*) ;; *) _wsn_channel="#$_wsn_channel" ;; esac
  _wsn_dir=$(mktemp -d 2> /dev/null || { mkdir -p "/tmp/slack-notifier.$$" && echo "/tmp/slack-notifier.$$"; })
  {
    printf '{'
    [ -n "$_wsn_channel" ] && printf '"channel":%s,' "$(_wn_json_str "$_wsn_channel")"
    printf '"username":%s,' "$(_wn_json_str "${WERCKER_SLACK_NOTIFIER_USERNAME:-werckerbot}")"
    printf '"icon_url":%s,' "$(_wn_json_str "${WERCKER_SLACK_NOTIFIER_ICON_URL:-https://secure.gravatar.com/avatar/a08fc43441db4c2df2cef96e0cc8c045?s=140}")"
    printf '"attachments":[{"fallback":%s,"text":%s,"color":"%s"}]}' \
      "$(_wn_json_str "$_wsn_fallback")" "$(_wn_json_str "$_wsn_text")" "$_wsn_color"
  } > "$_wsn_dir/payload.json"

  _wsn_host=$(_wn_url_host "$_wsn_url")
  if ! _wn_post "$_wsn_url" application/json "$_wsn_dir/payload.json" "$_wsn_dir/answer" "User-Agent: werker-slack-notifier"; then
    rm -rf "$_wsn_dir"
    fail "slack-notifier: could not reach the Slack webhook at $_wsn_host: $_wn_error"
  fi
  _wsn_answer=$(head -c 300 "$_wsn_dir/answer" 2> /dev/null)
  rm -rf "$_wsn_dir"
  if [ "$_wn_status" != 200 ]; then
    case "$_wsn_answer" in
      no_service | invalid_token | no_team) _wsn_hint="the webhook URL is wrong or the webhook was removed" ;;
      channel_not_found) _wsn_hint="the channel \"$_wsn_channel\" does not exist" ;;
      channel_is_archived) _wsn_hint="the channel \"$_wsn_channel\" is archived" ;;
      action_prohibited | posting_to_general_channel_denied) _wsn_hint="the workspace does not let this webhook post there" ;;
      *) _wsn_hint="check the url and channel" ;;
    esac
    fail "slack-notifier: Slack ($_wsn_host) refused the message: HTTP $_wn_status ${_wsn_answer:-(no body)}; $_wsn_hint"
  fi
  success "slack-notifier: posted \"$_wsn_fallback\" to Slack${_wsn_channel:+ channel $_wsn_channel} ($_wsn_host)"
}

_wsn_main
unset _wsn_url _wsn_result _wsn_action _wsn_action_url _wsn_app _wsn_about _wsn_text _wsn_fallback _wsn_short \
  _wsn_commit_url _wsn_color _wsn_channel _wsn_dir _wsn_host _wsn_answer _wsn_hint
unset -f _wsn_main _wsn_escape _wsn_link
_wn_cleanup
