#!/usr/bin/env bash
# The demo command: set everything up on a fresh machine, then run the demo on the bundled examples.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/cli.js demo "$@"
