#!/usr/bin/env bash
# The test command: set everything up on a fresh machine, then run every test, the end-to-end
# test in a real VS Code (code-server) included: it is required here, not skipped.
# Extra arguments are passed to the test runner (`scripts/test.sh dap` runs only DAP tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FTPY_E2E_REQUIRED="${FTPY_E2E_REQUIRED:-1}"
exec node test/run.mjs "$@"
