# install-packages: `apt-get install -y <packages>` (recommends included, as wercker's step did).
# The apt lists live in $WERCKER_CACHE_DIR/wercker/apt-lists (/var/lib/apt/lists becomes a link to
# it), so they survive between runs; `apt-get update` runs when they are missing or more than a
# day old. Up to three tries; with clear-cache (the default) a failed try drops the cached lists.
# A purely virtual package name (bookworm's `netcat`, a real package when older images were
# current) is replaced by its first provider, with a warning, instead of failing.
if [ -z "$WERCKER_INSTALL_PACKAGES_PACKAGES" ]; then
  fail "install-packages: the packages property is required"
fi
if ! command -v apt-get > /dev/null 2>&1; then
  fail "install-packages: apt-get is not available in this box (this step installs Debian/Ubuntu packages)"
fi
_wip_lists="$WERCKER_CACHE_DIR/wercker/apt-lists"
_wip_stamp="$WERCKER_CACHE_DIR/wercker/aptupdated"

_wip_link_lists() {
  mkdir -p "$_wip_lists/partial" || return 1
  if [ "$(readlink /var/lib/apt/lists 2> /dev/null)" != "$_wip_lists" ]; then
    rm -rf /var/lib/apt/lists && ln -s "$_wip_lists" /var/lib/apt/lists
  fi
}

_wip_update() {
  if [ -f "$_wip_stamp" ] && [ -n "$(find "$_wip_stamp" -mtime -1 2> /dev/null)" ] &&
    ls "$_wip_lists"/*Packages* > /dev/null 2>&1; then
    info "using the apt lists cached in $_wip_lists (updated less than a day ago)"
    return 0
  fi
  info "apt-get update (lists cached in $_wip_lists)"
  apt-get update || return 1
  touch "$_wip_stamp"
}

_wip_resolve() { # prints the packages, purely virtual names replaced by a provider
  _wip_out=
  set -f
  for _wip_p in $WERCKER_INSTALL_PACKAGES_PACKAGES; do
    case "$_wip_p" in
      -* | *=* | */*) ;;
      *)
        if ! apt-cache show "$_wip_p" 2> /dev/null | grep -q '^Package:'; then
          _wip_prov=$(apt-cache showpkg "$_wip_p" 2> /dev/null | awk 'found && NF { print $1; exit } /^Reverse Provides:/ { found = 1 }')
          if [ -n "$_wip_prov" ]; then
            warn "$_wip_p is a virtual package here; installing $_wip_prov, which provides it" >&2
            _wip_p=$_wip_prov
          fi
        fi
        ;;
    esac
    _wip_out="$_wip_out $_wip_p"
  done
  set +f
  printf '%s\n' "${_wip_out# }"
}

_wip_try=1
while :; do
  if _wip_link_lists && _wip_update; then
    _wip_pkgs=$(_wip_resolve)
    info "apt-get install -y $_wip_pkgs"
    # shellcheck disable=SC2086 # a list of package names
    if DEBIAN_FRONTEND=noninteractive apt-get install -y $_wip_pkgs; then
      break
    fi
  fi
  if [ "$_wip_try" -ge 3 ]; then
    fail "install-packages: installing $WERCKER_INSTALL_PACKAGES_PACKAGES failed 3 times"
  fi
  if [ "$WERCKER_INSTALL_PACKAGES_CLEAR_CACHE" = "true" ]; then
    info "clearing the cached apt lists ($_wip_lists)"
    rm -f "$_wip_stamp"
    rm -rf "$_wip_lists"
  fi
  _wip_try=$((_wip_try + 1))
  info "retrying, try $_wip_try of 3"
  sleep 1
done
success "installed $_wip_pkgs"
unset _wip_lists _wip_stamp _wip_try _wip_pkgs _wip_out _wip_p _wip_prov
unset -f _wip_link_lists _wip_update _wip_resolve
