# npm-test: `npm test`, where the step starts (the source dir, or the step's `cwd:`).
if ! command -v npm > /dev/null 2>&1; then
  fail "npm-test: npm is not installed in this box"
fi
if [ ! -f package.json ]; then
  fail "npm-test: no package.json in $PWD"
fi
info "npm test"
if npm test; then
  success "npm test passed"
else
  fail "npm test failed (exit code $?)"
fi
