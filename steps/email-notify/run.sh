# email-notify (docs/wercker-compat.md §7.3): an after-step mailing the run's result
# ($WERCKER_RESULT, §3.3) from `from` to `to` (a comma-separated list) through the SMTP server
# `host` (host:port, port 25 by default), logging in with `username` / `password` after STARTTLS
# (port 465: TLS from the start). Subject and body default to wercker's ("owner/app: build of
# <branch> by <who> passed."; the run's link, repository, branch, commit, who started it — werker
# adds the failed step); `passed-subject`, `failed-subject`, `passed-body`, `failed-body` replace
# them. `on: failed` mails only failures; `branch` mails only for that branch. Sent with python's
# smtplib as wercker's step did, else curl; the password never reaches a command line.
_wen_main() {
  _wen_from=$WERCKER_EMAIL_NOTIFY_FROM _wen_to=$WERCKER_EMAIL_NOTIFY_TO _wen_host=$WERCKER_EMAIL_NOTIFY_HOST
  for _wen_p in "from:$_wen_from" "to:$_wen_to" "host:$_wen_host" "username:$WERCKER_EMAIL_NOTIFY_USERNAME" "password:$WERCKER_EMAIL_NOTIFY_PASSWORD"; do
    case "$_wen_p" in *:) fail "email-notify: Please specify the ${_wen_p%:} property (it is empty)" ;; esac
  done
  _wen_result=${WERCKER_RESULT:-passed}
  # `on` is a YAML 1.1 boolean when not quoted: `on: failed` may arrive as the key "true".
  _wen_on=${WERCKER_EMAIL_NOTIFY_ON:-${WERCKER_EMAIL_NOTIFY_TRUE:-always}}
  if [ "$_wen_on" = failed ] && [ "$_wen_result" = passed ]; then
    info "email-notify: the run passed and on is failed: no mail sent"
    return 0
  fi
  if [ -n "$WERCKER_EMAIL_NOTIFY_BRANCH" ] && [ "$WERCKER_EMAIL_NOTIFY_BRANCH" != "$WERCKER_GIT_BRANCH" ]; then
    info "email-notify: branch \"$WERCKER_GIT_BRANCH\" is not \"$WERCKER_EMAIL_NOTIFY_BRANCH\": no mail sent"
    return 0
  fi

  _wen_app="$WERCKER_APPLICATION_OWNER_NAME/$WERCKER_APPLICATION_NAME"
  if [ "$DEPLOY" = true ]; then
    _wen_what="deploy${WERCKER_DEPLOYTARGET_NAME:+ to $WERCKER_DEPLOYTARGET_NAME}" _wen_url=${WERCKER_DEPLOY_URL:-$WERCKER_RUN_URL}
  else
    _wen_what="build${WERCKER_GIT_BRANCH:+ of $WERCKER_GIT_BRANCH}" _wen_url=${WERCKER_BUILD_URL:-$WERCKER_RUN_URL}
  fi
  _wen_subject="$_wen_app: $_wen_what${WERCKER_STARTED_BY:+ by $WERCKER_STARTED_BY} $_wen_result."
  if [ "$_wen_result" = passed ]; then
    _wen_subject=${WERCKER_EMAIL_NOTIFY_PASSED_SUBJECT:-$_wen_subject} _wen_body=$WERCKER_EMAIL_NOTIFY_PASSED_BODY
  else
    _wen_subject=${WERCKER_EMAIL_NOTIFY_FAILED_SUBJECT:-$_wen_subject} _wen_body=$WERCKER_EMAIL_NOTIFY_FAILED_BODY
  fi
  _wen_subject=$(printf '%s' "$_wen_subject" | tr '\r\n' '  ')
  _wen_dir=$(mktemp -d 2> /dev/null || { mkdir -p "/tmp/email-notify.$$" && echo "/tmp/email-notify.$$"; })
  chmod 700 "$_wen_dir"
  if [ -n "$_wen_body" ]; then
    printf '%b\n' "$_wen_body" > "$_wen_dir/body"
  else
    _wen_default_body > "$_wen_dir/body"
  fi

  info "email-notify: mailing \"$_wen_subject\" to $_wen_to through $_wen_host"
  if command -v python3 > /dev/null 2>&1 || command -v python > /dev/null 2>&1; then
    _wen_py=python3
    command -v python3 > /dev/null 2>&1 || _wen_py=python
    WERKER_SMTP_PASSWORD=$WERCKER_EMAIL_NOTIFY_PASSWORD "$_wen_py" "$WERCKER_STEP_ROOT/send_mail.py" "$_wen_host" "$_wen_from" "$_wen_to" \
      "$_wen_subject" "$_wen_dir/body" "$WERCKER_EMAIL_NOTIFY_USERNAME" > "$_wen_dir/log" 2>&1
  elif command -v curl > /dev/null 2>&1; then
    _wen_curl > "$_wen_dir/log" 2>&1
  else
    rm -rf "$_wen_dir"
    fail "email-notify: this box has neither python nor curl to send mail with; install one (e.g. with the install-packages step)"
  fi
  _wen_rc=$? _wen_log=$(tail -n 3 "$_wen_dir/log" | tr '\n' ' ')
  rm -rf "$_wen_dir"
  if [ "$_wen_rc" != 0 ]; then
    fail "email-notify: the mail was not sent: ${_wen_log:-exit status $_wen_rc}; check host, username and password"
  fi
  success "email-notify: mailed \"$_wen_subject\" ${_wen_log:+($_wen_log)}"
}

# wercker's default body, and werker's line naming the failed step.
_wen_default_body() {
  if [ "$DEPLOY" = true ]; then printf 'Deploy %s.\n' "$_wen_result"; else printf 'Build %s.\n' "$_wen_result"; fi
  [ -n "$_wen_url" ] && printf '\nSee <%s>\n' "$_wen_url"
  [ -n "$WERCKER_DEPLOYTARGET_NAME" ] && printf '\nDeploy Target: %s' "$WERCKER_DEPLOYTARGET_NAME"
  printf '\n'
  if [ -n "$WERCKER_GIT_DOMAIN" ] && [ -n "$WERCKER_GIT_REPOSITORY" ]; then
    printf 'Git Repository: https://%s/%s/%s\n' "$WERCKER_GIT_DOMAIN" "$WERCKER_GIT_OWNER" "$WERCKER_GIT_REPOSITORY"
  fi
  [ -n "$WERCKER_GIT_BRANCH" ] && printf 'Git Branch: %s\n' "$WERCKER_GIT_BRANCH"
  if [ -n "$WERCKER_GIT_COMMIT" ]; then
    _wen_msg=$(git log -n 1 --format=%s "$WERCKER_GIT_COMMIT" 2> /dev/null)
    printf 'Git Commit: %s%s\n' "${_wen_msg:+\"$_wen_msg\" }" "$WERCKER_GIT_COMMIT"
  fi
  [ -n "$WERCKER_STARTED_BY" ] && printf 'Started By: %s\n' "$WERCKER_STARTED_BY"
  if [ "$_wen_result" != passed ] && [ -n "$WERCKER_FAILED_STEP_DISPLAY_NAME" ]; then
    printf 'Failed Step: %s\n' "$WERCKER_FAILED_STEP_DISPLAY_NAME"
    [ -n "$WERCKER_FAILED_STEP_MESSAGE" ] && printf '%s\n' "$WERCKER_FAILED_STEP_MESSAGE"
  fi
  return 0
}

# The mail as curl uploads it (headers, a blank line, the body); the login in a curl config file.
_wen_curl() {
  _wen_subj=$_wen_subject
  if printf '%s' "$_wen_subj" | LC_ALL=C grep -q '[^ -~]'; then
    _wen_subj="=?UTF-8?B?$(printf '%s' "$_wen_subj" | base64 | tr -d '\n')?="
  fi
  {
    printf 'Date: %s\n' "$(date -R 2> /dev/null || date)"
    printf 'From: %s\nTo: %s\nSubject: %s\n' "$_wen_from" "$_wen_to" "$_wen_subj"
    printf 'Message-ID: <%s.%s.werker@%s>\n' "$(date +%s)" "$$" "$(hostname 2> /dev/null || echo localhost)"
    printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n'
    cat "$_wen_dir/body"
  } > "$_wen_dir/mail"
  _wen_esc() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }
  (umask 077 && printf 'user = "%s:%s"\n' "$(_wen_esc "$WERCKER_EMAIL_NOTIFY_USERNAME")" "$(_wen_esc "$WERCKER_EMAIL_NOTIFY_PASSWORD")" > "$_wen_dir/login")
  _wen_scheme=smtp
  case "$_wen_host" in *:465) _wen_scheme=smtps ;; esac
  set -- -sS --crlf -k --ssl-reqd -K "$_wen_dir/login" --url "$_wen_scheme://$_wen_host" --mail-from "$_wen_from" --upload-file "$_wen_dir/mail"
  for _wen_r in $(printf '%s' "$_wen_to" | tr ',;' '  '); do set -- "$@" --mail-rcpt "$_wen_r"; done
  curl "$@" || return $?
  echo "sent to $_wen_to through $_wen_host (STARTTLS)"
}

_wen_main
unset _wen_from _wen_to _wen_host _wen_p _wen_result _wen_on _wen_app _wen_what _wen_url _wen_subject \
  _wen_body _wen_dir _wen_py _wen_rc _wen_log _wen_msg _wen_subj _wen_scheme _wen_r
unset -f _wen_main _wen_default_body _wen_curl _wen_esc
