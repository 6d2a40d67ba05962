"""Whose code is this: the runtime's own, a library's, or the user's?  And whose thread?

This module is the one definition of "internal": every layer that must tell the runtime's own
frames, files or threads from the program's asks here (the tracing backends, the thread world,
the stack views, the tracked-lock snapshot, the launcher).  It imports nothing from the package,
so anything may import it.

* A *runtime file* is a file of the ``ftpy_runtime`` package.
* An *internal* file is a runtime file, the frozen import machinery, or code the debugger
  compiled itself (``<ftpy-eval>``, ``<ftpy-set>``): never shown, never stopped in.
* A *runtime thread* is one of the debugger's own threads, all named ``ftpy-…``: never parked.
  (`thread_objects` lists every thread without taking threading's lock.)

``justMyCode`` decides whether library frames can stop; internal ones never do, whatever the
setting.

(The race detector, ``race/``, still carries two copies of the runtime-directory test of its own,
in ``importhook.py`` and ``threadlog.py``; they are the race engineers' to fold into this one.)
"""

from __future__ import annotations

import _thread
import functools
import os
import sys
import sysconfig
import threading
from collections.abc import Callable
from typing import cast

#: The ``ftpy_runtime`` package directory, as its modules' ``co_filename`` spell it.
RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))

#: Prefixes of the runtime's own ``co_filename`` values: the directory as imported, and with
#: symlinks resolved (a runtime reached through a symlinked PYTHONPATH entry).
RUNTIME_PREFIXES: tuple[str, ...] = tuple(
    sorted({os.path.dirname(__file__) + os.sep, RUNTIME_DIR + os.sep, os.path.realpath(RUNTIME_DIR) + os.sep})
)

#: Every ``co_filename`` prefix that marks internal code.  The tracing callbacks test exactly this
#: with one ``str.startswith`` (no call, no cache) on their hot path; `is_internal` adds the
#: symlink-resolved comparison for everything else.
INTERNAL_PREFIXES: tuple[str, ...] = (*RUNTIME_PREFIXES, "<frozen importlib", "<ftpy")

#: Every thread the runtime starts is named with this prefix (``ftpy-agent``, ``ftpy-writer``,
#: ``ftpy-coordinator``…), and no thread of the program's should be.
RUNTIME_THREAD_PREFIX = "ftpy-"


def _library_roots() -> tuple[str, ...]:
    roots: set[str] = set()
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
_REAL_RUNTIME_PREFIX = os.path.normcase(os.path.realpath(RUNTIME_DIR)) + os.sep


@functools.lru_cache(maxsize=4096)
def canonical(filename: str) -> str:
    """The path used to match breakpoints to code objects: absolute, symlinks resolved."""
    if not filename or filename.startswith("<"):
        return filename
    return os.path.normcase(os.path.realpath(filename))


@functools.lru_cache(maxsize=4096)
def is_runtime_file(filename: str) -> bool:
    """Is ``filename`` (a ``co_filename``, or where a lock was made) a file of the runtime?"""
    if filename.startswith(RUNTIME_PREFIXES):
        return True
    return canonical(filename).startswith(_REAL_RUNTIME_PREFIX)


@functools.lru_cache(maxsize=4096)
def is_internal(filename: str) -> bool:
    """Code of the runtime itself, the frozen import machinery, or the debugger's own
    evaluations: never shown, never stopped in."""
    return filename.startswith(INTERNAL_PREFIXES) or is_runtime_file(filename)


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


#: Idents of the runtime threads `start_runtime_thread` started, while they run.
RUNTIME_IDENTS: set[int] = set()


def start_runtime_thread(target: Callable[..., object], *args: object) -> int:
    """Start one of the runtime's own threads, outside ``threading``'s registry.

    A ``threading.Thread`` would be counted by the program's ``threading.active_count()`` and
    listed by ``threading.enumerate()``, and would run ``threading.settrace`` hooks: the program
    must see the threads it started, no more.  The thread puts itself in `RUNTIME_IDENTS` (which
    `is_runtime_ident` reads) before it runs anything else; its first frame is this module's, and
    a runtime frame is never traced or parked.  Its ident leaves the set when it ends, so a user
    thread that is given the same ident later is not taken for the runtime's.  Returns the ident.
    """

    def run() -> None:
        ident = _thread.get_ident()
        RUNTIME_IDENTS.add(ident)
        try:
            target(*args)
        finally:
            RUNTIME_IDENTS.discard(ident)

    return _thread.start_new_thread(run, ())


def is_runtime_ident(ident: int) -> bool:
    """Is thread `ident` one the runtime started with `start_runtime_thread`?"""
    return ident in RUNTIME_IDENTS


# A forked child keeps only the thread that forked: the others' idents may be reused there.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=RUNTIME_IDENTS.clear)


def is_runtime_thread_name(name: str) -> bool:
    """Is a thread of this name one of the runtime's own?"""
    return name.startswith(RUNTIME_THREAD_PREFIX)


def thread_objects() -> dict[int, threading.Thread]:
    """ident -> Thread for every started thread, without taking threading's lock.

    ``threading.enumerate()`` takes ``_active_limbo_lock``, and a parked thread may be holding it
    (it is parked wherever it reached a line, ``Thread._delete`` included).  The debugger's own
    threads must never wait on a lock a parked thread can hold, so read the registry directly:
    copying ``threading._active`` is one dict operation, atomic on its own.
    """
    active: object = getattr(threading, "_active", None)
    if not isinstance(active, dict):  # every CPython has it
        return {t.ident: t for t in threading.enumerate() if t.ident is not None}
    return cast("dict[int, threading.Thread]", active).copy()


def registered_thread(ident: int) -> threading.Thread | None:
    """The Thread object for ``ident`` if threading has registered it; no side effects, no lock."""
    active: object = getattr(threading, "_active", None)
    if isinstance(active, dict):
        return cast("dict[int, threading.Thread]", active).get(ident)
    return None
