# goveralls: `go test -covermode=count -coverprofile=profile.cov ./...` where the step starts, then
# the profile goes to Coveralls as service wercker.com with the repository token
# (docs/wercker-compat.md §7.3). wercker's step ran `go get` for goveralls; nothing can be
# downloaded here, so a goveralls on PATH is used when the box has one, else werker's uploader
# (coveralls-upload.go in this package, standard library only, built with the box's go) sends the same job:
# POST <endpoint>/api/v1/jobs, multipart field json_file. `endpoint` (werker's; else
# $COVERALLS_ENDPOINT, else https://coveralls.io) points at a self-hosted Coveralls. Differences
# on purpose: a failing `go test` fails the step and nothing is uploaded; the token is passed in
# the environment, never on a command line or in the log.
_wgv_main() {
  if [ -z "$WERCKER_GOVERALLS_TOKEN" ]; then
    fail "goveralls: the token property is empty; give your Coveralls repository token (token: \$COVERALLS_TOKEN)"
  fi
  if ! command -v go > /dev/null 2>&1; then
    fail "goveralls: go is not installed in this box (use a Go box, e.g. golang)"
  fi
  _wgv_endpoint=${WERCKER_GOVERALLS_ENDPOINT:-${COVERALLS_ENDPOINT:-https://coveralls.io}}
  info "go test -covermode=count -coverprofile=profile.cov ./..."
  if ! go test -covermode=count -coverprofile=profile.cov ./...; then
    fail "goveralls: go test failed; the coverage was not sent"
  fi
  export GIT_BRANCH="${GIT_BRANCH:-$WERCKER_GIT_BRANCH}"
  if command -v goveralls > /dev/null 2>&1; then
    info "goveralls -coverprofile=profile.cov -service=wercker.com -endpoint=$_wgv_endpoint"
    COVERALLS_TOKEN="$WERCKER_GOVERALLS_TOKEN" goveralls -coverprofile=profile.cov -service=wercker.com -endpoint="$_wgv_endpoint" ||
      fail "goveralls: goveralls could not send the coverage to $_wgv_endpoint"
  else
    info "goveralls is not installed in this box; sending the coverage with werker's uploader to $_wgv_endpoint"
    # built in the step's own directory: a file outside the project's module cannot be `go run` there
    (cd "$WERCKER_STEP_ROOT" && CGO_ENABLED=0 GOFLAGS='' go build -o coveralls-upload coveralls-upload.go) ||
      fail "goveralls: could not build werker's uploader with $(go version)"
    COVERALLS_TOKEN="$WERCKER_GOVERALLS_TOKEN" "$WERCKER_STEP_ROOT/coveralls-upload" \
      -coverprofile=profile.cov -service=wercker.com -endpoint="$_wgv_endpoint" ||
      fail "goveralls: the coverage could not be sent to $_wgv_endpoint"
  fi
  success "coverage sent to $_wgv_endpoint"
}
_wgv_main
unset _wgv_endpoint
unset -f _wgv_main
