# pip-install: `<pip_command> install -r <requirements_file> <packages_list> <extra_args>` where the
# step starts. A missing requirements file fails the step unless packages_list gives something to
# install. With auto_run_wheel and PIP_USE_WHEEL=true, `pip wheel` runs first (into PIP_WHEEL_DIR
# when set); cleanup_wheel_cache empties PIP_WHEEL_DIR first. wercker ran pip with sudo outside a
# virtualenv; boxes run as root, and wercker-init makes sudo a no-op anyway.
_wpi_main() {
  _wpi_pip=${WERCKER_PIP_INSTALL_PIP_COMMAND:-pip}
  # shellcheck disable=SC2086 # the command may carry words, e.g. "python3 -m pip"
  if ! command -v ${_wpi_pip%% *} > /dev/null 2>&1; then
    if [ "$_wpi_pip" = pip ] && command -v pip3 > /dev/null 2>&1; then
      _wpi_pip=pip3
    elif [ "$_wpi_pip" = pip ] && command -v python3 > /dev/null 2>&1 && python3 -m pip --version > /dev/null 2>&1; then
      _wpi_pip="python3 -m pip"
    else
      fail "pip-install: pip command not found: $_wpi_pip"
    fi
    info "pip is not on PATH; using $_wpi_pip"
  fi
  set --
  if [ -n "$WERCKER_PIP_INSTALL_REQUIREMENTS_FILE" ]; then
    if [ -f "$WERCKER_PIP_INSTALL_REQUIREMENTS_FILE" ]; then
      set -- -r "$WERCKER_PIP_INSTALL_REQUIREMENTS_FILE"
    elif [ -n "$WERCKER_PIP_INSTALL_PACKAGES_LIST" ]; then
      info "no $WERCKER_PIP_INSTALL_REQUIREMENTS_FILE in $PWD; installing packages_list only"
    else
      fail "pip-install: no $WERCKER_PIP_INSTALL_REQUIREMENTS_FILE found in $PWD"
    fi
  fi
  # shellcheck disable=SC2086 # a list of requirement specifiers
  set -- "$@" $WERCKER_PIP_INSTALL_PACKAGES_LIST
  if [ "$#" -eq 0 ]; then
    fail "pip-install: nothing to install (no requirements_file, no packages_list)"
  fi
  if [ -n "$PIP_DOWNLOAD_CACHE" ]; then info "Environment variable detected for download cache: $PIP_DOWNLOAD_CACHE"; fi
  if [ -n "$PIP_FIND_LINKS" ]; then info "Environment variable detected for find links: $PIP_FIND_LINKS"; fi
  if [ "$WERCKER_PIP_INSTALL_CLEANUP_WHEEL_CACHE" = true ] && [ -n "$PIP_WHEEL_DIR" ]; then
    info "Clearing PIP_WHEEL_DIR ($PIP_WHEEL_DIR)"
    rm -f "$PIP_WHEEL_DIR"/*.whl
  fi
  if [ "$WERCKER_PIP_INSTALL_AUTO_RUN_WHEEL" = true ] && [ "$PIP_USE_WHEEL" = true ]; then
    info "$_wpi_pip wheel $* $WERCKER_PIP_INSTALL_EXTRA_WHEEL_ARGS"
    # shellcheck disable=SC2086
    $_wpi_pip wheel "$@" $WERCKER_PIP_INSTALL_EXTRA_WHEEL_ARGS || fail "pip-install: pip wheel failed"
  fi
  if [ -n "$VIRTUAL_ENV" ]; then info "virtual environment detected: $VIRTUAL_ENV"; fi
  info "$_wpi_pip install $* $WERCKER_PIP_INSTALL_EXTRA_ARGS"
  # shellcheck disable=SC2086
  if $_wpi_pip install "$@" $WERCKER_PIP_INSTALL_EXTRA_ARGS; then
    success "pip install succeeded"
  else
    fail "pip-install: pip install failed"
  fi
}
_wpi_main
unset _wpi_pip
unset -f _wpi_main
