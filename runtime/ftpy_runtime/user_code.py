"""Which files are the user's, which are the library's, and which are ours.

``justMyCode`` decides whether library frames can stop.  The runtime's own files never stop,
never park and are hidden from stacks, whatever the setting.

"""

from __future__ import annotations

import functools
import os
import sys
import sysconfig

RUNTIME_DIR = os.path.dirname(os.path.realpath(__file__))


def _library_roots() -> tuple[str, ...]:
    roots = set()
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            p = sysconfig.get_paths()[name]
        except KeyError:
            continue
        roots.add(os.path.realpath(p) + os.sep)
    for p in sys.path:
        if "site-packages" in p or "dist-packages" in p:
            roots.add(os.path.realpath(p) + os.sep)
    return tuple(sorted(roots))


_LIBRARY_ROOTS = _library_roots()


@functools.lru_cache(maxsize=4096)
def canonical(filename: str) -> str:
    """The path used to match breakpoints to code objects: absolute, symlinks resolved."""
    if not filename or filename.startswith("<"):
        return filename
    return os.path.normcase(os.path.realpath(filename))


@functools.lru_cache(maxsize=4096)
def is_internal(filename: str) -> bool:
    """Code of the runtime itself (and the frozen import machinery): never shown, never stopped in."""
    if filename.startswith("<frozen importlib") or filename.startswith("<ftpy"):
        return True
    return canonical(filename).startswith(RUNTIME_DIR + os.sep)


@functools.lru_cache(maxsize=4096)
def is_library(filename: str) -> bool:
    if filename.startswith("<"):
        return filename.startswith("<frozen")
    return canonical(filename).startswith(_LIBRARY_ROOTS)


def is_user(filename: str, just_my_code: bool) -> bool:
    if is_internal(filename):
        return False
    if just_my_code:
        return not is_library(filename)
    return True
