#!/usr/bin/env bash
# Builds a free-threaded CPython (3.13, `--disable-gil`) into the ftpy cache, from Debian
# trixie's signed `python3.13` source package. Idempotent: a finished install is marked by
# `<prefix>/.ftpy-ok`, written only after the new interpreter has been verified, and the install
# is moved into place in one rename, so a failed or interrupted build never leaves anything that
# a later run would take for a good interpreter.
#
# Usage: provision-cpython.sh [--force]
# Env:   FTPY_CACHE_DIR        cache root (default ${XDG_CACHE_HOME:-~/.cache}/ftpy)
#        FTPY_CPYTHON_TARBALL  use this Python-3.13.x source tarball instead of downloading
#        FTPY_BUILD_JOBS       parallel make jobs (default: nproc)
#
# Progress goes to stdout as `::phase NAME` lines (the CLI and the extension turn them into a
# progress display); compiler output goes to <cache>/build/build.log. The last line on success
# is `::done <path of python3.13t>`. On failure: `::error <one-line message>` and exit 1.
set -euo pipefail

root="${FTPY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ftpy}"
series=3.13
force=0
[ "${1:-}" = "--force" ] && force=1

phase() { echo "::phase $*"; }
fail() { echo "::error $*"; exit 1; }

mkdir -p "$root"
exec 9>"$root/provision.lock"
if ! flock -n 9; then
  phase "waiting for another ftpy provision to finish"
  flock 9
fi

# Already provisioned?
for marker in "$root"/cpython-$series.*t/.ftpy-ok; do
  if [ -f "$marker" ] && [ "$force" = 0 ]; then
    dir=$(dirname "$marker")
    if "$dir/bin/python${series}t" -c 'import sys; sys.exit(sys._is_gil_enabled())' 2>/dev/null; then
      echo "::done $dir/bin/python${series}t"; exit 0
    fi
  fi
done

phase "checking build tools"
need_pkgs=()
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || need_pkgs+=(gcc)
command -v make >/dev/null 2>&1 || need_pkgs+=(make)
command -v xz >/dev/null 2>&1 || need_pkgs+=(xz-utils)
if command -v dpkg-query >/dev/null 2>&1; then
  # ctypes (libffi) is needed by the debugger's header reader; the rest keeps the stdlib whole.
  for p in libffi-dev zlib1g-dev libssl-dev libbz2-dev liblzma-dev libsqlite3-dev libreadline-dev libncurses-dev uuid-dev pkg-config; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
  done
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    phase "installing build dependencies: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${need_pkgs[@]}" >"$root/apt-install.log" 2>&1 \
      || { apt-get update >>"$root/apt-install.log" 2>&1 && apt-get install -y --no-install-recommends "${need_pkgs[@]}" >>"$root/apt-install.log" 2>&1; } \
      || fail "could not install ${need_pkgs[*]} (see $root/apt-install.log). Install them with: sudo apt-get install ${need_pkgs[*]}"
  else
    fail "missing build dependencies: ${need_pkgs[*]}. Install them with: sudo apt-get install ${need_pkgs[*]} — then run ftpy provision again."
  fi
fi

src="$root/src"
mkdir -p "$src"
tarball="${FTPY_CPYTHON_TARBALL:-}"
if [ -z "$tarball" ]; then
  tarball=$(ls "$src"/python${series}_${series}.*.orig.tar.xz 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$tarball" ]; then
  phase "downloading Debian trixie's python$series source package (signature-checked)"
  command -v apt-get >/dev/null 2>&1 || fail "apt-get is not available to download the CPython sources. Set FTPY_CPYTHON_TARBALL to a Python-$series.x source tarball and run ftpy provision again."
  # A private apt configuration: the system's sources are never touched. apt checks the
  # Sources index against trixie's Release signature (Debian's archive keyring), and the
  # downloaded files against the index's hashes.
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || fail "Debian's archive keyring ($keyring) is missing. Install it with: sudo apt-get install debian-archive-keyring"
  apt_dir="$root/apt"
  mkdir -p "$apt_dir/etc/sources.list.d" "$apt_dir/etc/preferences.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb-src [signed-by=$keyring] http://deb.debian.org/debian trixie main" >"$apt_dir/etc/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/etc/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/etc/sources.list.d"
            -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
            -o "Dir::Etc::Preferences=$apt_dir/etc/preferences" -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
            -o "APT::Sandbox::User=$(id -un)")
  apt-get "${apt_opts[@]}" update >"$root/apt-source.log" 2>&1 \
    || fail "could not read Debian trixie's source index (see $root/apt-source.log). Check the network, or set FTPY_CPYTHON_TARBALL."
  (cd "$src" && apt-get "${apt_opts[@]}" source --download-only "python$series" >>"$root/apt-source.log" 2>&1) \
    || fail "could not download python$series sources (see $root/apt-source.log)."
  tarball=$(ls "$src"/python${series}_${series}.*.orig.tar.xz 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$tarball" ] || fail "the python$series source package had no orig tarball (see $root/apt-source.log)."
fi
[ -f "$tarball" ] || fail "source tarball $tarball does not exist."

phase "unpacking $(basename "$tarball")"
build="$root/build"
rm -rf "$build"
mkdir -p "$build"
tar -xf "$tarball" -C "$build" || fail "could not unpack $tarball."
srcdir=$(find "$build" -mindepth 1 -maxdepth 1 -type d -name 'Python-*' | head -n 1)
[ -n "$srcdir" ] || fail "$tarball does not contain a Python-* folder."
version=${srcdir##*/Python-}
prefix="$root/cpython-${version}t"
log="$build/build.log"
jobs="${FTPY_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"

phase "configuring CPython $version with --disable-gil"
(cd "$srcdir" && ./configure --disable-gil --prefix="$prefix" --with-ensurepip=no >"$log" 2>&1) \
  || { tail -n 20 "$log" >&2; fail "configure failed (log: $log). A C compiler and the -dev packages above are needed."; }

phase "compiling CPython $version (make -j$jobs)"
(cd "$srcdir" && make -j"$jobs" >>"$log" 2>&1) \
  || { tail -n 30 "$log" >&2; fail "the CPython build failed (log: $log)."; }

phase "installing into $prefix"
stage="$build/stage"
(cd "$srcdir" && make install DESTDIR="$stage" >>"$log" 2>&1) \
  || { tail -n 20 "$log" >&2; fail "make install failed (log: $log)."; }

phase "verifying the new interpreter"
staged="$stage$prefix"
check='import sys, sysconfig, ctypes
assert sysconfig.get_config_var("Py_GIL_DISABLED") == 1, "Py_GIL_DISABLED is not 1"
assert not sys._is_gil_enabled(), "the GIL is enabled"
print("%d.%d.%d" % sys.version_info[:3])'
got=$(env -u PYTHON_GIL "$staged/bin/python${series}t" -c "$check" 2>>"$log") \
  || { tail -n 5 "$log" >&2; fail "the new interpreter failed its check (free-threaded, GIL off, ctypes importable); log: $log."; }

rm -rf "$prefix" "$prefix.old"
mv "$staged" "$prefix"
printf '{"version": "%s", "source": "%s", "built": "%s"}\n' "$got" "$(basename "$tarball")" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$prefix/.ftpy-ok"
rm -rf "$build"
echo "::done $prefix/bin/python${series}t"
