#!/usr/bin/env bash
# The test command (`npm test`): prepare what the suites need (a Docker engine and the local
# images, via scripts/test-env.sh), type-check, then run every vitest project. The last line
# printed is "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f scripts/test-env.sh ]; then
  bash scripts/test-env.sh
fi
npx tsc -p tsconfig.check.json
npx tsc -p src/server/ui/client/tsconfig.json
exec npx vitest run "$@"
