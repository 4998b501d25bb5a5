# mktemp: the path is exported into the pipeline's shell, so later steps see $<envvar>.
if [ -z "$WERCKER_MKTEMP_ENVVAR" ]; then
  fail "mktemp: the envvar property is required"
fi
if [ "$WERCKER_MKTEMP_DIRECTORY" = "true" ]; then
  werker_mktemp_path=$(mktemp -d)
else
  werker_mktemp_path=$(mktemp)
fi
export "$WERCKER_MKTEMP_ENVVAR=$werker_mktemp_path"
info "$WERCKER_MKTEMP_ENVVAR=$werker_mktemp_path"
unset werker_mktemp_path
