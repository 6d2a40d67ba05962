#!/usr/bin/env bash
# Runs on the 16-core device: unpacks the carried interpreter and node, then the benchmark at
# 1/2/4/8/16 threads. Results go to $OUT (bench-16core.json and .txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools=$(mktemp -d)
tar -C "$tools" -xJf .ftpy-cache/device/tools.tar.xz
export PATH="$tools/node/bin:$PATH" FTPY_PYTHON="$tools/py/bin/python3.13t" FTPY_CACHE_DIR="$tools/cache"
nproc; "$FTPY_PYTHON" -c 'import sys; print(sys.version)'
node dist/bench.js --workloads "${WORKLOADS:-objects,text,numeric,locked}" --threads "${THREADS:-2,4,8,16}" --reps "${REPS:-2}" --only "${ONLY:-scaling,race,gil,pause}" --json "${OUT:-.}/bench-16core.json" 2>&1 | tee "${OUT:-.}/bench-16core.txt"
