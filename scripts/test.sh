#!/usr/bin/env bash
# The test command: set everything up on a fresh machine, then run every test, the end-to-end
# test in a real VS Code (code-server) included: it is required here, not skipped.
# Extra arguments are passed to the test runner (`scripts/test.sh dap` runs only DAP tests).
# `scripts/test.sh slow [filters…]` also runs the slow tests (FTPY_SLOW_TESTS=1): every CPython
# test module of test/race/cpython/compare.py under the race detector, not just the fast subset.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = slow ]; then
  export FTPY_SLOW_TESTS=1
  shift
fi
bash scripts/setup.sh
export FTPY_E2E_REQUIRED="${FTPY_E2E_REQUIRED:-1}"
exec node test/run.mjs "$@"
