#!/usr/bin/env bash
# The test command: set everything up on a fresh machine, then run every test.
# Extra arguments are passed to the test runner (`scripts/test.sh dap` runs only DAP tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node test/run.mjs "$@"
