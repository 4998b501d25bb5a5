# s3sync: `s3cmd sync <opts> [--delete-removed] --verbose ./ <bucket_url>` from
# $WERCKER_ROOT/<source_dir> (docs/wercker-compat.md §7.3). key_id / key_secret / bucket_url are
# required (key-id, key-secret, bucket-url as wercker's README writes them set the same
# variables); opts defaults to --acl-public, delete_removed to true. The keys go into an s3cmd
# config file of this step only (mode 600, removed afterwards) instead of overwriting ~/.s3cfg as
# the original did, and are never printed. Other S3-compatible servers: opts such as
# --host=HOST:PORT --host-bucket=HOST:PORT --no-ssl, as with s3cmd itself. Without s3cmd in the
# box it is installed with apt-get when the box has it (the original installed it too).
_wss_main() {
  [ -n "$WERCKER_S3SYNC_KEY_ID" ] || fail "s3sync: missing or empty option key_id (key-id), please check wercker.yml"
  [ -n "$WERCKER_S3SYNC_KEY_SECRET" ] || fail "s3sync: missing or empty option key_secret (key-secret), please check wercker.yml"
  [ -n "$WERCKER_S3SYNC_BUCKET_URL" ] || fail "s3sync: missing or empty option bucket_url (bucket-url), please check wercker.yml"
  case "$WERCKER_S3SYNC_BUCKET_URL" in
    s3://?*) ;;
    *) fail "s3sync: bucket_url must look like s3://bucket or s3://bucket/prefix/, not \"$WERCKER_S3SYNC_BUCKET_URL\"" ;;
  esac
  if ! command -v s3cmd > /dev/null 2>&1; then
    if command -v apt-get > /dev/null 2>&1; then
      info "s3cmd not found, installing it: apt-get install s3cmd"
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq s3cmd; } ||
        fail "s3sync: s3cmd is not installed and apt-get install s3cmd failed; use a box with s3cmd"
    else
      fail "s3sync: s3cmd is not installed in this box; use a box with s3cmd (on Debian: install-packages with packages: s3cmd)"
    fi
  fi
  info "$(s3cmd --version)"
  _wss_delete=--delete-removed
  case "$WERCKER_S3SYNC_DELETE_REMOVED" in
    "" | true) ;;
    *) _wss_delete= ;;
  esac
  _wss_source=$WERCKER_S3SYNC_SOURCE_DIR
  case "$_wss_source" in
    /*) ;;
    *) _wss_source="$WERCKER_ROOT/$_wss_source" ;;
  esac
  cd "$_wss_source" || fail "s3sync: unable to change directory to $_wss_source (source_dir)"
  _wss_config=$(mktemp "${TMPDIR:-/tmp}/werker-s3cfg.XXXXXX") || fail "s3sync: cannot create a temporary file"
  chmod 600 "$_wss_config"
  printf '[default]\naccess_key = %s\nsecret_key = %s\n' "$WERCKER_S3SYNC_KEY_ID" "$WERCKER_S3SYNC_KEY_SECRET" > "$_wss_config"
  info "starting s3 synchronisation of $_wss_source"
  info "s3cmd sync ${WERCKER_S3SYNC_OPTS:---acl-public} $_wss_delete --verbose ./ $WERCKER_S3SYNC_BUCKET_URL"
  # shellcheck disable=SC2086 # opts are words, as in the original step
  s3cmd -c "$_wss_config" sync ${WERCKER_S3SYNC_OPTS:---acl-public} $_wss_delete --verbose ./ "$WERCKER_S3SYNC_BUCKET_URL"
  _wss_status=$?
  rm -f "$_wss_config"
  if [ "$_wss_status" -ne 0 ]; then
    fail "s3sync: s3cmd sync to $WERCKER_S3SYNC_BUCKET_URL failed (exit code $_wss_status)"
  fi
  success "finished s3 synchronisation to $WERCKER_S3SYNC_BUCKET_URL"
}
_wss_main
unset _wss_delete _wss_source _wss_config _wss_status
unset -f _wss_main
