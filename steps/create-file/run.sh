# create-file: writes $WERCKER_CREATE_FILE_CONTENT to $WERCKER_CREATE_FILE_FILENAME (relative to
# the source dir). Property values reach a step with newlines as literal \n (wercker's export
# encoding), so the content is written with printf %b, which turns them back, as echo -e did.
if [ -z "$WERCKER_CREATE_FILE_FILENAME" ]; then
  fail "create-file: the filename property is required"
fi
if [ -e "$WERCKER_CREATE_FILE_FILENAME" ] && [ "$WERCKER_CREATE_FILE_OVERWRITE" != "true" ]; then
  fail "create-file: $WERCKER_CREATE_FILE_FILENAME exists; set overwrite: true to replace it"
fi
mkdir -p "$(dirname "$WERCKER_CREATE_FILE_FILENAME")"
printf '%b\n' "$WERCKER_CREATE_FILE_CONTENT" > "$WERCKER_CREATE_FILE_FILENAME"
if [ "$WERCKER_CREATE_FILE_HIDE_FROM_LOG" = "true" ]; then
  info "created $WERCKER_CREATE_FILE_FILENAME (content hidden)"
else
  info "created $WERCKER_CREATE_FILE_FILENAME:"
  cat "$WERCKER_CREATE_FILE_FILENAME"
fi
