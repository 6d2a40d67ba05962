"""Tracked locks: ``threading.Lock``/``RLock`` whose holders can be named, at a plain lock's speed.

The rest of the package reads them: ``snapshot.py`` (who holds which, who waits for what),
``waitfor.py`` (cycles in the wait-for graph: deadlocks) and ``render.py`` (the text report).

`install` (called by the debug agent before user code runs) changes how locks are *made*, never
what they are or cost:

* ``threading.Lock()`` and ``_thread.allocate_lock()`` still return the plain C ``_thread.lock``
  (``type(lock) is _thread.lock``; no wrapper, no subclass, a ``with`` or ``acquire()`` is the C
  call it always was).  `TrackedLock`, which replaces ``threading.Lock``, only notes where each
  lock was made, in `_sites` (keyed by a weak reference that drops the entry, in C, when the lock
  dies).  A plain lock does not know its holder: ``snapshot.py`` finds it on demand, from the
  frames of the stopped threads (the ``with`` blocks they are inside, the ``acquire()`` calls
  they made and have not undone), and says "unknown" where no frame tells.
* ``threading.RLock()`` returns a `TrackedRLock`, a subclass of the C ``_thread.RLock`` that
  inherits its C ``__enter__``/``__exit__`` and ``release``: the C RLock records its owner and
  count itself on every acquire, read on demand from its ``repr`` (exact); its ``acquire`` only
  adds a recognisable frame (`_wait_for_rlock`) when it has to wait.  A ``with rlock:`` runs no
  Python code (``bench/bench_locks.py`` measures both).

Why not an RLock-based Lock (the previous design): ``with lock: pass`` costs ~134 ns on a
``_thread.lock`` and ~170 ns on a ``_thread.RLock`` or a subclass on 3.13t, 1.2x and more on
lock-dominated loops; and a Lock built on an RLock cannot be invisible (``type()``,
``isinstance(lock, _thread.RLock)``, a ``with`` on a self-held Lock that went on instead of
deadlocking).

What is not tracked
-------------------
Locks created before `install` have no recorded creation site; they show up only when a
stopped thread's frames show it holds or waits for one.  The locks that ``threading.Condition``
uses internally to park its waiters (``threading._allocate_lock``, bound before `install`) are
signals, acquired by the waiting thread and released by the notifying one: an "owner" would be
meaningless.  Threads blocked in ``Condition.wait`` (and so in ``Event.wait``,
``Semaphore.acquire``, ``Queue.get``...) are reported as waiting on that condition, which is
never part of a deadlock cycle.
"""

# TrackedRLock keeps its bookkeeping in underscore slots (``_file``, ``_line``) so that a
# program sees only an RLock's own attribute names on it; `made_at` is how the rest of the
# package reads them.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import _thread
import os
import re
import sys
import threading
import weakref
from collections.abc import Callable
from types import FrameType
from typing import Any

RawLock = _thread.LockType
_raw_allocate_lock = _thread.allocate_lock
_RawRLock = _thread.RLock
_rlock_acquire = _RawRLock.acquire
# The C RLock's method for threading.Condition, which typeshed does not declare.
_rlock_acquire_restore: Callable[[Any, Any], None] = getattr(_RawRLock, "_acquire_restore")

#: co_filename of this module: its frames (the factories, the wait functions) are never where
#: the user made or waits for a lock.
THIS_FILE = os.path.normcase(os.path.abspath(__file__))
_THREADING_FILE = os.path.normcase(os.path.abspath(threading.__file__))
# co_filename of this module's and threading's code: their frames are never
# where the user made a lock.
_SKIPPED_BY_CREATION_SITE = frozenset(
    {__file__, threading.__file__, THIS_FILE, _THREADING_FILE}
)

UNKNOWN_SITE = ("<unknown>", 0)


def _creation_site() -> tuple[str, int]:
    """The first frame outside this module and threading.py: where the lock was made."""
    try:
        f: FrameType | None = sys._getframe(1)
    except ValueError:  # made from C with no Python caller
        return UNKNOWN_SITE
    while f is not None:
        filename = f.f_code.co_filename
        if filename not in _SKIPPED_BY_CREATION_SITE:
            return filename, f.f_lineno or 0
        f = f.f_back
    return UNKNOWN_SITE


#: Where each plain lock made since `install` was made, by a weak reference to it.  The
#: reference's callback is the dict's own C ``pop``: a dying lock leaves without running any
#: Python code.  (A reference made later to the same live lock is equal to this one and hashes
#: the same, which is how `lock_site` looks a lock up.)
_sites: dict[weakref.ref[Any], tuple[str, int]] = {}


def _lock_factory() -> Callable[[], Any]:
    """`_new_lock`, reading what it calls from a closure: finalizers may make locks while the
    interpreter shuts down, after module globals (this module's included) have been set to None
    (closure cells are not cleared)."""
    allocate, sites, ref, site = _raw_allocate_lock, _sites, weakref.ref, _creation_site
    unknown = UNKNOWN_SITE

    def allocate_lock() -> Any:
        lock = allocate()
        try:
            where = site()
        except Exception:  # at shutdown: `site`'s own globals are gone
            where = unknown
        sites[ref(lock, sites.pop)] = where
        return lock

    allocate_lock.__doc__ = "allocate_lock() -> lock object (its creation site noted by the ftpy debugger)."
    return allocate_lock


#: A plain C lock, its creation site noted in `_sites`: ``threading.Lock()`` and
#: ``_thread.allocate_lock()`` while installed.
_new_lock = _lock_factory()


def lock_site(lock: Any) -> tuple[str, int] | None:
    """Where the program made plain lock `lock`; None if it was made before `install` (or by
    threading's own ``_allocate_lock``)."""
    return _sites.get(weakref.ref(lock))


def tracked_plain_locks() -> list[Any]:
    """The plain locks made since `install` that are still alive."""
    return [lock for lock in (ref() for ref in list(_sites)) if lock is not None]


class _LockMeta(type):
    """``threading.Lock`` while installed: calling it makes a plain lock (`_new_lock`), and
    ``isinstance``/``issubclass`` answer for ``_thread.lock``."""

    def __call__(cls, _new: Callable[[], Any] = _new_lock) -> Any:  # a default, not a global: see `_lock_factory`
        return _new()

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, RawLock)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, RawLock)


class TrackedLock(metaclass=_LockMeta):
    """``threading.Lock`` while tracked locks are installed: ``TrackedLock()`` is a plain
    ``_thread.lock``, whose creation site is noted (see the module docstring)."""

    __slots__ = ()


# It prints as the class it stands in for (``<class '_thread.lock'>``).
TrackedLock.__name__ = TrackedLock.__qualname__ = RawLock.__name__
TrackedLock.__module__ = RawLock.__module__


_rlock_repr: Callable[[Any], str] = _RawRLock.__repr__
_OWNER_COUNT = re.compile(r" owner=(\d+) count=(\d+) ")


def owner_count(lock: Any) -> tuple[int, int]:
    """(owner's ident, recursion count) of a tracked RLock, from the C RLock's own record; (0, 0) when free."""
    m = _OWNER_COUNT.search(_rlock_repr(lock))
    if m is None:
        return 0, 0
    count = int(m.group(2))
    return (int(m.group(1)) if count else 0), count


def _wait_for_rlock(lock: "TrackedRLock", blocking: bool, timeout: float) -> bool:
    """Block for `lock`.  A thread in this frame is waiting for `lock`."""
    return _rlock_acquire(lock, blocking, timeout)


def _wait_for_rlock_restore(lock: "TrackedRLock", state: Any) -> None:
    """Re-take `lock` after ``Condition.wait``.  A thread in this frame is waiting for `lock`."""
    _rlock_acquire_restore(lock, state)


def _rlock_acquire_method() -> Callable[..., bool]:
    """`TrackedRLock.acquire`, reading what it calls from a closure.

    Finalizers take locks while the interpreter shuts down (``Popen.__del__`` polls under its
    ``_waitpid_lock``), after module globals, this module's included, have been set to None:
    a method that looked its helpers up as globals then raised ``TypeError: 'NoneType' object
    is not callable`` from the program's own ``__del__``.  Closure cells are not cleared.
    """
    try_acquire, wait = _rlock_acquire, _wait_for_rlock

    def acquire(self: TrackedRLock, blocking: bool = True, timeout: float = -1) -> bool:
        if timeout == -1 and try_acquire(self, False):
            return True
        if not blocking and timeout == -1:
            return False
        return wait(self, blocking, timeout)

    acquire.__qualname__ = "TrackedRLock.acquire"
    return acquire


class TrackedRLock(_RawRLock):  # pyright: ignore[reportGeneralTypeIssues]  # typeshed marks it final; CPython allows subclasses, and isinstance(x, RLock) must hold
    """A ``threading.RLock`` that says where it was made; the C RLock knows its owner and count.

    ``with`` and ``release`` are the C RLock's own; ``acquire`` only adds a recognisable
    frame (`_wait_for_rlock`) when it has to wait.
    """

    __slots__ = ("_file", "_line")

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._file, self._line = _creation_site()

    @property
    def _owner(self) -> int:
        """``threading.get_ident()`` of the holder, 0 when free."""
        return owner_count(self)[0]

    @property
    def _count(self) -> int:
        """How many times the holder has it."""
        return owner_count(self)[1]

    acquire = _rlock_acquire_method()  # pyright: ignore[reportAssignmentType]  # the C RLock's signature, kept

    def locked(self) -> bool:
        return owner_count(self)[1] > 0

    def _acquire_restore(self, state: Any) -> None:
        _wait_for_rlock_restore(self, state)

    def __repr__(self) -> str:
        owner, count = owner_count(self)
        state = "locked" if count else "unlocked"
        return (
            f"<{state} {type(self).__module__}.{type(self).__qualname__} object "
            f"owner={owner} count={count} at {id(self):#x}>"
        )


class _Installed:
    """What `install` replaced, to put back in `uninstall`."""

    saved: list[tuple[Any, str, Any]] | None = None


def installed() -> bool:
    """Are tracked locks installed?"""
    return _Installed.saved is not None


def install() -> None:
    """Note where new ``threading.Lock``/``_thread.allocate_lock`` locks are made, and make
    ``threading.RLock`` a `TrackedRLock`.

    Call it before user code runs; locks made earlier have no noted site.  Calling it
    twice is harmless.
    """
    if _Installed.saved is not None:
        return
    saved: list[tuple[Any, str, Any]] = []

    def patch(module: Any, name: str, value: Any) -> None:
        if hasattr(module, name):
            saved.append((module, name, getattr(module, name)))
            setattr(module, name, value)

    patch(threading, "Lock", TrackedLock)
    patch(_thread, "allocate_lock", _new_lock)
    patch(_thread, "allocate", _new_lock)
    # threading.RLock() is a factory that calls _CRLock (keeping its argument
    # checks); replace the factory only if a future version drops _CRLock.
    if getattr(threading, "_CRLock", None) is not None:
        patch(threading, "_CRLock", TrackedRLock)
    else:
        patch(threading, "RLock", TrackedRLock)
    _Installed.saved = saved


def uninstall() -> None:
    """Undo `install` (locks already handed out keep working; plain ones keep their noted site)."""
    saved = _Installed.saved
    if saved is None:
        return
    for module, name, value in reversed(saved):
        setattr(module, name, value)
    _Installed.saved = None


def made_at(lock: Any) -> tuple[str, int]:
    """Where the program made a tracked RLock or a plain lock; `UNKNOWN_SITE` if nobody noted it."""
    if isinstance(lock, TrackedRLock):
        return lock._file, lock._line
    return lock_site(lock) or UNKNOWN_SITE


#: The code of the functions a thread blocks in while it waits for a tracked RLock: a frame
#: running one of them says "this thread waits for the lock in its ``lock`` local".  (A plain
#: lock's ``acquire`` is the C method: `snapshot` reads such a wait from the caller's frame.)
WAIT_CODES = frozenset({
    _wait_for_rlock.__code__,
    _wait_for_rlock_restore.__code__,
})
