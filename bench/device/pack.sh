#!/usr/bin/env bash
# Packs what the 16-core benchmark machine needs and cannot download: the provisioned
# python3.13t (stripped, without its test suite) and this machine's node binary, into
# .ftpy-cache/device/ (git-ignored), to be carried there with dist/.
set -euo pipefail
cd "$(dirname "$0")/../.."
py=$(node dist/cli.js provision --print-path 2>/dev/null | tail -n 1)
prefix=$(dirname "$(dirname "$py")")
out=.ftpy-cache/device
rm -rf "$out" && mkdir -p "$out/stage"
cp -a "$prefix" "$out/stage/py"
(cd "$out/stage/py" && rm -rf lib/python3.*t/test lib/python3.*t/idlelib lib/python3.*t/tkinter lib/python3.*t/turtledemo lib/libpython3.*t.a lib/python3.*t/config-*/*.a \
  && find . -name __pycache__ -prune -exec rm -rf {} + && find . -name '*.so' -exec strip --strip-unneeded {} + && strip bin/python3.*t)
mkdir -p "$out/stage/node/bin" && cp "$(readlink -f "$(command -v node)")" "$out/stage/node/bin/node"
tar -C "$out/stage" -cJf "$out/tools.tar.xz" py node
rm -rf "$out/stage"
ls -la "$out"
