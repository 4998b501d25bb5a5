# Helpers shared by werker's notify and release packages (slack-notifier, pretty-slack-notify,
# github-create-release, github-upload-asset): each package carries an identical copy, because
# only a step's own directory reaches the box (docs/wercker-compat.md §7.1). POSIX sh, so they
# work in bash and in busybox sh; everything is prefixed _wn_ and removed by _wn_cleanup.

# The literal \n, \t of a property value made real again (values reach the box with them
# escaped, docs/wercker-compat.md §3.6; wercker's steps relied on JSON or echo -e to undo that).
_wn_unescape() { printf '%b' "$1"; }

# A JSON string literal (with its quotes) holding $1: \ and " escaped, newlines, tabs and
# carriage returns written as \n \t \r, other control characters dropped.
_wn_json_str() {
  # Character by character: gsub's replacement text treats backslashes differently in mawk,
  # gawk and busybox awk.
  printf '%s' "$1" | LC_ALL=C awk '
    BEGIN { ORS = ""; printf "\"" }
    {
      if (NR > 1) printf "\\n"
      n = length($0)
      for (i = 1; i <= n; i++) {
        c = substr($0, i, 1)
        if (c == "\\" || c == "\"") printf "\\%s", c
        else if (c == "\t") printf "\\t"
        else if (c == "\r") printf "\\r"
        else if (c !~ /[\001-\037\177]/) printf "%s", c
      }
    }
    END { printf "\"" }'
}

# The value of the top-level member $2 of the JSON object in file $1: a string unescaped, a
# number or literal as written; nothing when absent. Members of nested objects (a release's
# author.id, its assets[].id) are skipped, so `id` is the object's own.
_wn_json_field() {
  LC_ALL=C awk -v want="$2" '
    BEGIN { RS = "\001" }
    {
      n = length($0); depth = 0; key = ""; str = ""; expect = 0
      for (i = 1; i <= n; i++) {
        c = substr($0, i, 1)
        if (c == "\"") {
          str = ""
          for (i++; i <= n; i++) {
            c = substr($0, i, 1)
            if (c == "\\") {
              i++; e = substr($0, i, 1)
              if (e == "n") str = str "\n"; else if (e == "t") str = str "\t"
              else if (e == "r") str = str "\r"; else if (e == "u") { str = str "?"; i += 4 }
              else str = str e
            } else if (c == "\"") break
            else str = str c
          }
          if (depth == 1 && expect) { if (key == want) { print str; exit } expect = 0 }
          else if (depth == 1) key = str
          continue
        }
        if (c == "{" || c == "[") {
          if (depth == 1 && expect) expect = 0
          depth++; continue
        }
        if (c == "}" || c == "]") { depth--; continue }
        if (depth == 1 && c == ":") { expect = 1; continue }
        if (depth == 1 && c == ",") { expect = 0; key = ""; continue }
        if (depth == 1 && expect && c !~ /[ \t\r\n]/) {
          v = ""
          while (i <= n && index(",}] \t\r\n", (c = substr($0, i, 1))) == 0) { v = v c; i++ }
          i--
          if (key == want) { print v; exit }
          expect = 0
        }
      }
    }' "$1"
}

# $1 percent-encoded for a URL query value (RFC 3986 unreserved characters kept).
_wn_urlencode() {
  printf '%s' "$1" | LC_ALL=C awk '
    BEGIN { ORS = ""; for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i }
    {
      if (NR > 1) printf "%%0A"
      for (i = 1; i <= length($0); i++) {
        c = substr($0, i, 1)
        if (c ~ /[A-Za-z0-9._~-]/) printf "%s", c; else printf "%%%02X", ord[c]
      }
    }'
}

# The host of URL $1, to name an endpoint without printing a secret kept in its path.
_wn_url_host() { printf '%s\n' "$1" | sed -e 's|^[A-Za-z][A-Za-z0-9+.-]*://||' -e 's|[/?#].*$||' -e 's|^.*@||'; }

# POST the file $3 as content type $2 to URL $1, the answer's body into file $4; the remaining
# arguments are extra headers ("Name: value"). Uses curl, else wget, else python, whichever the
# box has (busybox wget sends a file only up to its first NUL byte: such a body goes by python or
# not at all). Sets _wn_status to the HTTP status (empty when no answer came) and _wn_error to
# what went wrong on the way; returns non-zero when no answer came.
_wn_post() {
  _wn_url=$1 _wn_ctype=$2 _wn_in=$3 _wn_out=$4
  shift 4
  _wn_status='' _wn_error='' _wn_log="$_wn_out.log" _wn_client=''
  : > "$_wn_out"
  : > "$_wn_log"
  if command -v curl > /dev/null 2>&1; then
    _wn_client=curl
  elif command -v wget > /dev/null 2>&1; then
    _wn_client=wget
    if ! wget --version 2> /dev/null | grep -q 'GNU Wget' && [ "$(tr -d '\000' < "$_wn_in" | wc -c)" -ne "$(wc -c < "$_wn_in")" ]; then
      _wn_client=''
      _wn_error="this box's busybox wget cannot send $_wn_in (it holds NUL bytes); install curl or python in the box"
    fi
  fi
  if [ -z "$_wn_client" ]; then
    for _wn_p in python3 python; do command -v "$_wn_p" > /dev/null 2>&1 && { _wn_client=$_wn_p; break; }; done
  fi
  case "$_wn_client" in
    curl)
      _wn_n=$#
      for _wn_h in "$@"; do set -- "$@" -H "$_wn_h"; done
      shift "$_wn_n"
      _wn_status=$(curl -sS -X POST -o "$_wn_out" -w '%{http_code}' -H "Content-Type: $_wn_ctype" "$@" \
        --data-binary "@$_wn_in" "$_wn_url" 2> "$_wn_log")
      [ "$_wn_status" = 000 ] && _wn_status='' ;;
    wget)
      _wn_n=$#
      for _wn_h in "$@"; do set -- "$@" --header "$_wn_h"; done
      shift "$_wn_n"
      # GNU wget keeps the body of an error answer only when asked; busybox wget cannot.
      if wget --version 2> /dev/null | grep -q 'GNU Wget'; then set -- --content-on-error "$@"; fi
      wget -S -O "$_wn_out" --header "Content-Type: $_wn_ctype" "$@" --post-file "$_wn_in" "$_wn_url" 2> "$_wn_log"
      _wn_status=$(sed -n 's/^.*HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*$/\1/p' "$_wn_log" | tail -n 1) ;;
    '')
      [ -n "$_wn_error" ] || _wn_error="this box has none of curl, wget and python to make HTTP requests with; install one (e.g. with the install-packages step)"
      return 1 ;;
    *)
      _wn_status=$("$_wn_client" "$WERCKER_STEP_ROOT/lib/post.py" "$_wn_url" "$_wn_ctype" "$_wn_in" "$_wn_out" "$@" 2> "$_wn_log") ;;
  esac
  if [ -z "$_wn_status" ]; then
    _wn_error=$(grep -v '^ *[A-Za-z-]*:' "$_wn_log" | grep -v '^ *HTTP/' | grep . | tail -n 3 | tr '\n' ' ')
    [ -n "$_wn_error" ] || _wn_error="no answer"
    return 1
  fi
  return 0
}

# Removes every _wn_ helper and variable from the shell the step ran in.
_wn_cleanup() {
  unset _wn_url _wn_ctype _wn_in _wn_out _wn_status _wn_error _wn_log _wn_n _wn_h _wn_client _wn_p
  unset -f _wn_unescape _wn_json_str _wn_json_field _wn_urlencode _wn_url_host _wn_post _wn_cleanup
}
