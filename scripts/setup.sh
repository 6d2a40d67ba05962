#!/usr/bin/env bash
# Everything the project needs on a fresh Debian/Ubuntu machine, idempotently:
#   - npm dependencies (npm ci, skipped when node_modules matches package-lock.json),
#   - the bundles in dist/ (esbuild),
#   - a free-threaded CPython 3.13t (found, or built once into ~/.cache/ftpy by `ftpy provision`,
#     which installs its own build dependencies with apt-get when run as root), with Debian's
#     pure-Python pytest made importable by it (`--with-pytest`, for `ftpy race -m pytest`),
#   - code-server (VS Code in the browser) on its own Node 24, and Debian's chromium, for the
#     demo's UI and the end-to-end tests (scripts/install-code-server.sh, cached in
#     ~/.cache/ftpy/tools). FTPY_SKIP_CODE_SERVER=1 skips this part.
#   - Neovim (Debian's), for the test of the race language server in an editor other than VS
#     Code (test/extension/neovim.test.ts). FTPY_SKIP_NEOVIM=1 skips it.
# Called by scripts/demo.sh and scripts/test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "setup: Node.js 20 or newer is needed (https://nodejs.org, or: apt-get install nodejs npm)." >&2
  exit 1
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "setup: Node.js $(node --version) is too old; 20 or newer is needed." >&2; exit 1; }

stamp=node_modules/.ftpy-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

# npm skips @microsoft/sarif-multitool's install script, which would make its Linux binary
# executable; the SARIF test (GitHub ingestion rules) runs it.
multitool=node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
if [ -f "$multitool" ] && [ ! -x "$multitool" ]; then
  chmod u+x "$multitool"
fi

echo "== build"
node esbuild.mjs

echo "== free-threaded Python"
node dist/cli.js provision --with-pytest

if [ "${FTPY_SKIP_CODE_SERVER:-0}" != 1 ]; then
  echo "== code-server and chromium"
  bash scripts/install-code-server.sh
fi

if [ "${FTPY_SKIP_NEOVIM:-0}" != 1 ] && ! command -v nvim >/dev/null 2>&1; then
  echo "== Neovim (for the language server's editor test)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$SUDO" ] || command -v sudo >/dev/null 2>&1; }; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y --no-install-recommends neovim \
      || { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends neovim; } \
      || echo "setup: could not apt-get install neovim; test/extension/neovim.test.ts will fail under scripts/test.sh (FTPY_SKIP_NEOVIM=1 skips this step)." >&2
  else
    echo "setup: Neovim is not installed and apt-get (as root or with sudo) is not available to install it; install nvim >= 0.7 for test/extension/neovim.test.ts." >&2
  fi
fi
