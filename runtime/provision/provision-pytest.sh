#!/usr/bin/env bash
# Makes pytest importable by a free-threaded interpreter that has no pip or PyPI to get it from:
# Debian trixie's pure-Python packages, fetched with a private, signature-checked apt
# configuration (`apt-get download`, the system's apt sources are never touched), unpacked with
# `dpkg -x` into the ftpy cache, and put on the interpreter's path by a `ftpy-pytest.pth` file in
# its site-packages. Idempotent: when the interpreter can already find pytest (ours or its own),
# nothing is done, which is the warm path (one interpreter start, well under a second).
#
# Usage: provision-pytest.sh PYTHON
# Env:   FTPY_CACHE_DIR   cache root (default ${XDG_CACHE_HOME:-~/.cache}/ftpy)
#
# Packages: python3-pytest and what it needs on Python >= 3.11 — python3-pluggy,
# python3-iniconfig, python3-packaging (trixie's python3-pytest 8.3.5 depends on
# python3-exceptiongroup and python3-tomli only "| python3-supported-min (>= 3.11)", and only
# recommends python3-pygments). The verification below imports pytest and runs it, so a
# missing dependency fails here, not in a test run.
#
# Output as provision-cpython.sh: `::phase NAME` lines, then `::done <site folder or "own">`,
# or `::error <one-line message>` and exit 1.
set -euo pipefail

python="${1:-}"
phase() { echo "::phase $*"; }
fail() { echo "::error $*"; exit 1; }
[ -n "$python" ] || fail "usage: provision-pytest.sh PYTHON"
[ -x "$python" ] || fail "$python is not an executable interpreter."

has_pytest() {
  "$python" -c 'import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ("pytest", "pluggy", "iniconfig", "packaging")) else 1)' 2>/dev/null
}
if has_pytest; then
  echo "::done own"; exit 0
fi

root="${FTPY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ftpy}"
mkdir -p "$root"
exec 9>"$root/provision.lock"
if ! flock -n 9; then
  phase "waiting for another ftpy provision to finish"
  flock 9
fi
has_pytest && { echo "::done own"; exit 0; }

dest="$root/pytest"
# dpkg's layout is kept: ".../dist-packages" tells the race detector never to instrument pytest.
site="$dest/usr/lib/python3/dist-packages"
pkgs=(python3-pytest python3-pluggy python3-iniconfig python3-packaging)

if [ ! -f "$dest/.ftpy-ok" ]; then
  command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 \
    || fail "apt-get and dpkg are needed to fetch Debian's pytest. Install pytest for $python yourself, or run on Debian/Ubuntu."
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || fail "Debian's archive keyring ($keyring) is missing. Install it with: sudo apt-get install debian-archive-keyring"
  apt_dir="$root/apt-binary"
  mkdir -p "$apt_dir/etc/sources.list.d" "$apt_dir/etc/preferences.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb [signed-by=$keyring] http://deb.debian.org/debian trixie main" >"$apt_dir/etc/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/etc/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/etc/sources.list.d"
            -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
            -o "Dir::Etc::Preferences=$apt_dir/etc/preferences" -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
            -o "APT::Sandbox::User=$(id -un)")
  log="$root/apt-pytest.log"
  phase "reading Debian trixie's package index (signature-checked)"
  apt-get "${apt_opts[@]}" update >"$log" 2>&1 \
    || fail "could not read Debian trixie's package index (see $log). Check the network, or install pytest for $python yourself."
  stage="$root/pytest.partial"
  rm -rf "$stage"
  mkdir -p "$stage/debs"
  phase "downloading ${pkgs[*]}"
  (cd "$stage/debs" && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >>"$log" 2>&1) \
    || fail "could not download ${pkgs[*]} (see $log)."
  phase "unpacking into $dest"
  for deb in "$stage"/debs/*.deb; do
    dpkg -x "$deb" "$stage" || fail "dpkg -x could not unpack $(basename "$deb")."
  done
  versions=$(cd "$stage/debs" && ls *.deb | sed -E 's/^([^_]+)_([^_]+)_.*$/"\1": "\2"/' | paste -sd, -)
  rm -rf "$stage/debs"
  phase "verifying pytest under $python"
  check='import sys, pytest, pluggy, iniconfig, packaging
sys.exit(pytest.main(["--version"]))'
  (cd "$stage" && PYTHONPATH="$stage/usr/lib/python3/dist-packages" "$python" -c "$check" >>"$log" 2>&1) \
    || fail "the downloaded pytest does not run under $python (see $log)."
  printf '{"packages": {%s}, "fetched": "%s"}\n' "$versions" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$stage/.ftpy-ok"
  rm -rf "$dest"
  mv "$stage" "$dest"
fi

phase "making pytest importable by $python"
purelib=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
  || fail "$python could not say where its site-packages is."
mkdir -p "$purelib" 2>/dev/null || true
pth="$purelib/ftpy-pytest.pth"
if ! { echo "$site" >"$pth.tmp" && mv "$pth.tmp" "$pth"; } 2>/dev/null; then
  rm -f "$pth.tmp" 2>/dev/null || true
  fail "cannot write $pth (its site-packages is not writable). Either run with PYTHONPATH=$site, or install pytest for $python yourself."
fi
has_pytest || fail "$python still cannot import pytest after writing $pth; is site-packages disabled (-S, -I)?"
echo "::done $site"
