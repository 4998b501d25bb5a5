# validate-wercker-step: checks the manifest of the step package being built, where the step starts:
# step.yml, else the legacy wercker-step.yml (wercker's CLI reads only step.yml). Errors fail the
# step: a missing manifest; invalid YAML (checked with ruby or python3's yaml when the box has
# one); a missing or malformed name; a version that is not x.y.z; in step.yml a missing summary and
# `properties` that is not a list (a map makes step.yml unreadable to wercker); properties without
# a name, duplicated, or with an unknown type or a non-boolean `required`. A missing run.sh is a
# warning. The YAML subset read is the block style such manifests use.
_wvs_main() {
  if [ -f step.yml ]; then
    _wvs_file=step.yml
  elif [ -f wercker-step.yml ]; then
    _wvs_file=wercker-step.yml
  else
    fail "validate-wercker-step: neither step.yml nor wercker-step.yml found in $PWD"
  fi
  info "validating $PWD/$_wvs_file"
  if command -v ruby > /dev/null 2>&1; then
    _wvs_syntax=$(ruby -ryaml -e 'YAML.load_file(ARGV[0])' "$_wvs_file" 2>&1) ||
      fail "validate-wercker-step: $_wvs_file is not valid YAML: $(printf '%s\n' "$_wvs_syntax" | head -n 1)"
  elif command -v python3 > /dev/null 2>&1 && python3 -c 'import yaml' 2> /dev/null; then
    _wvs_syntax=$(python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$_wvs_file" 2>&1) ||
      fail "validate-wercker-step: $_wvs_file is not valid YAML: $(printf '%s\n' "$_wvs_syntax" | tail -n 1)"
  fi
  _wvs_report=$(awk -v file="$_wvs_file" '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    function scalar(s) {
      s = trim(s)
      if (s ~ /^"/) { sub(/^"/, "", s); sub(/".*$/, "", s); return s }
      if (s ~ /^\047/) { sub(/^\047/, "", s); sub(/\047.*$/, "", s); return s }
      sub(/[ \t]+#.*$/, "", s)
      return s
    }
    function err(m) { errors++; print "error: " m }
    function endprop() {
      if (!inprop) return
      if (pname == "") err("property #" nprops " has no name")
      else if (pname in seen) err("property \"" pname "\" is declared twice")
      seen[pname] = 1
      inprop = 0
    }
    /^[ \t]*(#.*)?$/ { next }
    /^[^ \t-][^:]*:/ {
      endprop()
      key = $0; sub(/:.*/, "", key); val = $0; sub(/^[^:]*:/, "", val); val = scalar(val)
      top[key] = 1; topval[key] = val; section = key; pindent = -1
      next
    }
    section == "properties" {
      line = $0; indent = match(line, /[^ ]/) - 1; body = substr(line, indent + 1)
      if (pindent < 0) { pindent = indent; pform = (body ~ /^- /) ? "list" : "map" }
      if (pform == "list") {
        if (indent == pindent && body ~ /^- /) { endprop(); inprop = 1; nprops++; pname = ""; body = substr(body, 3); indent += 2 }
        if (!inprop) next
        k = body; sub(/:.*/, "", k); k = trim(k); v = body; sub(/^[^:]*:/, "", v); v = scalar(v)
        if (k == "name") pname = v
        else if (k == "type" && v !~ /^(string|bool|boolean|int|integer|number)$/) err("property \"" pname "\": unknown type \"" v "\"")
        else if (k == "required" && v !~ /^(true|false|yes|no)$/) err("property \"" pname "\": required must be true or false, not \"" v "\"")
      } else if (indent == pindent && body ~ /^[A-Za-z0-9_.-]+:/) {
        nprops++; k = body; sub(/:.*/, "", k); if (k in seen) err("property \"" k "\" is declared twice"); seen[k] = 1
      }
      next
    }
    END {
      endprop()
      if (!("name" in top) || topval["name"] == "") err("name is required")
      else if (topval["name"] !~ /^[A-Za-z0-9][A-Za-z0-9_.-]*$/) err("name \"" topval["name"] "\" may only have letters, digits, dots, dashes and underscores")
      if (!("version" in top) || topval["version"] == "") err("version is required")
      else if (topval["version"] !~ /^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$/) err("version \"" topval["version"] "\" is not a semantic version (x.y.z; quote it in YAML)")
      if (file == "step.yml") {
        if (!("summary" in top) || topval["summary"] == "") {
          if ("description" in top) err("summary is required (description is the legacy wercker-step.yml key)")
          else err("summary is required")
        }
        if (pform == "map") err("properties must be a list of {name, type, default, required} in step.yml; a map makes the file unreadable to wercker")
      } else if (pform == "list") err("properties must be a map (name: {type, default, required}) in wercker-step.yml")
      printf "summary: %s@%s, %d properties\n", topval["name"], topval["version"], nprops
      exit (errors > 0 ? 1 : 0)
    }
  ' "$_wvs_file")
  _wvs_status=$?
  printf '%s\n' "$_wvs_report" | grep '^error: ' | sed 's/^error: //' | while IFS= read -r _wvs_line; do error "$_wvs_line"; done
  if [ ! -f run.sh ]; then
    warn "validate-wercker-step: no run.sh next to $_wvs_file: the step would do nothing"
  fi
  if [ "$_wvs_status" -ne 0 ]; then
    fail "validate-wercker-step: $_wvs_file has $(printf '%s\n' "$_wvs_report" | grep -c '^error: ') problem(s): $(printf '%s\n' "$_wvs_report" | grep '^error: ' | head -n 1 | sed 's/^error: //')"
  fi
  success "$_wvs_file is valid: $(printf '%s\n' "$_wvs_report" | sed -n 's/^summary: //p')"
}
_wvs_main
unset _wvs_file _wvs_syntax _wvs_report _wvs_status
unset -f _wvs_main
