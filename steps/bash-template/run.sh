# bash-template: every file matching `input` (default *.template*) is rendered as a here-document
# in the step's shell, as wercker's template.sh did: $VAR, ${VAR}, $(cmd) and `cmd` are expanded
# with the live environment (exports of earlier steps included), backslashes escape. The output is
# the name with ".template" removed (a.template.yaml → a.yaml), under `output` when that ends in /
# (default ./), else `output` itself (one input). With error-on-empty (any value but "false") an
# unset variable fails the step. An executable template gives an executable file.
_wbt_render() ( # $1: template → stdout
  case "$WERCKER_BASH_TEMPLATE_ERROR_ON_EMPTY" in "" | false) ;; *) set -u ;; esac
  eval "cat <<WERKER_BASH_TEMPLATE_EOF
$(cat "$1")
WERKER_BASH_TEMPLATE_EOF
"
)
_wbt_main() {
  _wbt_input=${WERCKER_BASH_TEMPLATE_INPUT:-*.template*}
  _wbt_output=${WERCKER_BASH_TEMPLATE_OUTPUT:-./}
  _wbt_n=0
  # shellcheck disable=SC2086 # globs
  for _wbt_in in $_wbt_input; do
    [ -f "$_wbt_in" ] || continue
    _wbt_name=$(printf '%s\n' "$_wbt_in" | sed 's/\.template//')
    case "$_wbt_output" in
      */) _wbt_out="$_wbt_output$_wbt_name" ;;
      *) _wbt_out=$_wbt_output ;;
    esac
    info "Templating $_wbt_in -> $_wbt_out"
    mkdir -p "$(dirname "$_wbt_out")"
    if ! _wbt_render "$_wbt_in" > "$_wbt_out"; then
      fail "bash-template: could not render $_wbt_in (with error-on-empty, an unset variable is an error)"
    fi
    if [ -x "$_wbt_in" ]; then chmod +x "$_wbt_out"; fi
    _wbt_n=$((_wbt_n + 1))
  done
  if [ "$_wbt_n" -eq 0 ]; then
    warn "bash-template: no file matches $_wbt_input in $PWD; nothing rendered"
  else
    success "rendered $_wbt_n template(s)"
  fi
}
_wbt_main
unset _wbt_input _wbt_output _wbt_n _wbt_in _wbt_name _wbt_out
unset -f _wbt_main _wbt_render
