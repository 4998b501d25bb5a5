# shellcheck shell=bash
# host_apt_sources: print the host's enabled binary apt sources, one per line,
# as "URI SUITE COMPONENT..." (both the one-line format of sources.list /
# *.list and the deb822 format of *.sources are read; disabled files, i.e.
# names not ending in .list/.sources, and deb-src entries are skipped).
host_apt_sources() {
  local f files=()
  [ -r /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] && files+=("$f")
  done
  [ "${#files[@]}" -gt 0 ] || return 0
  local f2
  for f2 in "${files[@]}"; do
    case "$f2" in
      *.sources) _apt_sources_deb822 <"$f2" ;;
      *) _apt_sources_oneline <"$f2" ;;
    esac
  done
}

_apt_sources_oneline() {
  awk '
    { sub(/#.*/, "") }
    $1 != "deb" { next }
    {
      i = 2
      if ($i ~ /^\[/) {            # [ option=value ... ]
        while (i <= NF && $i !~ /\]$/) i++
        i++
      }
      if (i + 1 > NF) next
      line = $i " " $(i + 1)
      for (j = i + 2; j <= NF; j++) line = line " " $j
      print line
    }'
}

_apt_sources_deb822() {
  awk '
    function flush(   nu, ns, u, s, k, uu, ss) {
      if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^(no|false|0)$/ && uris != "" && suites != "") {
        nu = split(uris, uu, /[ \t]+/); ns = split(suites, ss, /[ \t]+/)
        for (u = 1; u <= nu; u++) for (s = 1; s <= ns; s++)
          if (uu[u] != "" && ss[s] != "") print uu[u] " " ss[s] (comps != "" ? " " comps : "")
      }
      types = uris = suites = comps = enabled = ""
    }
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { flush(); next }
    {
      key = tolower($0); sub(/:.*/, "", key)
      val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
      if (key == "types") types = val
      else if (key == "uris") uris = val
      else if (key == "suites") suites = val
      else if (key == "components") { comps = val; gsub(/[ \t]+/, " ", comps) }
      else if (key == "enabled") enabled = tolower(val)
    }
    END { flush() }'
}
