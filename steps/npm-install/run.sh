# npm-install: `npm install $options`, up to three tries. The npm cache lives under
# $WERCKER_CACHE_DIR so it survives between runs; it is cleared after a failed try if asked.
if ! type npm > /dev/null 2>&1; then
  fail "npm-install: npm is not installed in this box"
fi
if [ "$WERCKER_NPM_INSTALL_USE_CACHE" = "true" ]; then
  mkdir -p "$WERCKER_CACHE_DIR/wercker/npm"
  export npm_config_cache="$WERCKER_CACHE_DIR/wercker/npm"
fi
werker_npm_try=1
while :; do
  info "npm install $WERCKER_NPM_INSTALL_OPTIONS (try $werker_npm_try of 3)"
  # shellcheck disable=SC2086 # options are words, as in wercker's step
  if npm install $WERCKER_NPM_INSTALL_OPTIONS; then
    success "npm install succeeded"
    break
  fi
  if [ "$WERCKER_NPM_INSTALL_CLEAR_CACHE_ON_FAILED" = "true" ]; then
    npm cache clean --force > /dev/null 2>&1 || true
  fi
  if [ "$werker_npm_try" -ge 3 ]; then
    unset werker_npm_try
    fail "npm install failed 3 times"
  fi
  werker_npm_try=$((werker_npm_try + 1))
  sleep 1
done
unset werker_npm_try
