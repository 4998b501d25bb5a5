# virtualenv: create a virtual environment at virtualenv_location (default $HOME/venv) for the
# interpreter python_location (default the box's python, else python3) and activate it; run.sh
# is sourced, so the activation (PATH, VIRTUAL_ENV) holds for every later step
# (docs/wercker-compat.md §7.3). It uses `virtualenv` when the box has it (as the original did),
# else Python 3's own `-m venv`. An existing environment there is reused. Like the original, it
# exports PIP_DOWNLOAD_CACHE and PIP_FIND_LINKS under $WERCKER_CACHE_DIR; werker also exports
# PIP_CACHE_DIR there, the name today's pip reads. With install_wheel, `pip install wheel` runs
# and PIP_WHEEL_DIR/PIP_FIND_LINKS point at $WERCKER_CACHE_DIR/pip-wheels, PIP_USE_WHEEL=true.
_wve_main() {
  _wve_python=$WERCKER_VIRTUALENV_PYTHON_LOCATION
  if [ -z "$_wve_python" ]; then
    _wve_python=$(command -v python || command -v python3) ||
      fail "virtualenv: no python in this box (neither python nor python3 is on PATH); use a box with Python or give python_location"
    info "using default python location: $_wve_python"
  fi
  case "$("$_wve_python" --version 2>&1)" in
    *" 2."* | *" 3."*) ;;
    *) fail "virtualenv: $_wve_python is not a Python 2 or 3 interpreter (python_location)" ;;
  esac
  _wve_dir=${WERCKER_VIRTUALENV_VIRTUALENV_LOCATION:-$HOME/venv}
  if [ -f "$_wve_dir/bin/activate" ]; then
    info "reusing the virtual environment in $_wve_dir"
  elif command -v virtualenv > /dev/null 2>&1; then
    info "virtualenv -p $_wve_python $_wve_dir"
    virtualenv -p "$_wve_python" "$_wve_dir" || fail "virtualenv: virtualenv -p $_wve_python $_wve_dir failed"
  elif "$_wve_python" -c 'import venv, ensurepip' > /dev/null 2>&1; then
    info "$_wve_python -m venv $_wve_dir (virtualenv is not installed; using Python's venv)"
    "$_wve_python" -m venv "$_wve_dir" || fail "virtualenv: $_wve_python -m venv $_wve_dir failed"
  else
    fail "virtualenv: neither virtualenv nor Python's venv (with ensurepip) is available for $_wve_python; on Debian: install-packages with packages: python3-venv (or virtualenv)"
  fi
  info "Activating virtual environment: $_wve_dir"
  # shellcheck disable=SC1091
  . "$_wve_dir/bin/activate" || fail "virtualenv: could not activate $_wve_dir"
  mkdir -p "$WERCKER_CACHE_DIR/pip-download-cache"
  export PIP_DOWNLOAD_CACHE="$WERCKER_CACHE_DIR/pip-download-cache"
  export PIP_CACHE_DIR="$WERCKER_CACHE_DIR/pip-download-cache"
  info "PIP_DOWNLOAD_CACHE=$PIP_DOWNLOAD_CACHE"
  if [ "$WERCKER_VIRTUALENV_INSTALL_WHEEL" = true ]; then
    info "Installing wheel package"
    pip install wheel || fail "virtualenv: pip install wheel failed (install_wheel: true needs the package index, or a wheel in PIP_FIND_LINKS)"
    mkdir -p "$WERCKER_CACHE_DIR/pip-wheels"
    export PIP_WHEEL_DIR="$WERCKER_CACHE_DIR/pip-wheels"
    export PIP_FIND_LINKS="$WERCKER_CACHE_DIR/pip-wheels"
    export PIP_USE_WHEEL=true
    info "PIP_WHEEL_DIR=$PIP_WHEEL_DIR PIP_FIND_LINKS=$PIP_FIND_LINKS PIP_USE_WHEEL=true"
  else
    export PIP_FIND_LINKS="$WERCKER_CACHE_DIR/pip-download-cache"
    info "PIP_FIND_LINKS=$PIP_FIND_LINKS; wheel will not be installed"
  fi
  success "virtual environment $VIRTUAL_ENV is active ($(python --version 2>&1))"
}
_wve_main
unset _wve_python _wve_dir
unset -f _wve_main
