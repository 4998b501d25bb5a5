# npm-run: `npm run <script>` (docs/wercker-compat.md §7.3). maxon/npm-run, the step the
# reference user's pipelines use, took one property, `script`, as a single script name.
# Differences from it, on purpose: the step runs where werker starts it (the source dir, or the
# step's `cwd:`) instead of always $WERCKER_ROOT, and a failing script fails the step (the
# original ended with `success`, so its status hid the failure).
if [ -z "$WERCKER_NPM_RUN_SCRIPT" ]; then
  fail "npm-run: the script property is empty; give the package.json script to run (script: build)"
fi
if ! command -v npm > /dev/null 2>&1; then
  fail "npm-run: npm is not installed in this box (use a box with Node.js and npm, e.g. node)"
fi
if [ ! -f package.json ]; then
  fail "npm-run: no package.json in $PWD (set the step's cwd: to the directory that has it)"
fi
info "npm run $WERCKER_NPM_RUN_SCRIPT"
if npm run "$WERCKER_NPM_RUN_SCRIPT"; then
  success "npm run $WERCKER_NPM_RUN_SCRIPT completed"
else
  fail "npm-run: npm run $WERCKER_NPM_RUN_SCRIPT failed (exit code $?)"
fi
