"""Tracked locks: ``threading.Lock``/``RLock`` that remember their owner.

The rest of the package reads them: ``snapshot.py`` (who holds which, who waits for what),
``waitfor.py`` (cycles in the wait-for graph: deadlocks) and ``render.py`` (the text report).

A ``_thread.lock`` doesn't know its owner, so `install` (called by the debug
agent before user code runs) makes ``threading.Lock()``, ``threading.RLock()``
and ``_thread.allocate_lock()`` return tracked locks: thin wrappers that
remember, on the wrapper itself, which thread acquired them and where they
were created.

Keeping it cheap
----------------
The uncontended path is one non-blocking acquire of the real lock and one
slot store of the owner's ident: no registry, no shared dict, no GC-tracked
allocation (``bench/bench_locks.py`` measures what it costs: about 3.5x
a plain lock's acquire/release pair, a few hundred nanoseconds).
A thread that has to wait goes through `_wait_for_lock`, a function whose
only job is to be recognisable: `snapshot` finds waiting threads by looking
for its frame in ``sys._current_frames()`` and reads the lock from the
frame's locals.  Held locks are found by scanning `gc.get_objects` (which
stops the world in free-threaded builds) for tracked locks, so nothing is
recorded anywhere until somebody asks.

What is not tracked
-------------------
Locks created before `install` stay plain.  So do the locks that
``threading.Condition`` uses internally to park its waiters
(``threading._allocate_lock``): those are signals, acquired by the waiting
thread and released by the notifying one, so an "owner" would be
meaningless, and every ``Condition.wait`` would look like a thread waiting on
a lock it holds itself.  Threads blocked in ``Condition.wait`` (and so in
``Event.wait``, ``Semaphore.acquire``, ``Queue.get``...) are reported as
waiting on that condition, which is never part of a deadlock cycle.
"""

# The wrappers keep their bookkeeping in underscore slots (``_owner``, ``_count``, ``_file``,
# ``_line``) so that a program sees only a lock's own attribute names on them; the functions of
# this module share those slots with the classes by design, and `lock_state` is how the rest of
# the package reads them.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import _thread
import os
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, NamedTuple

_RawLockType = _thread.LockType
_raw_allocate_lock = _thread.allocate_lock
_RawRLock = _thread.RLock
_get_ident = _thread.get_ident
_rlock_acquire = _RawRLock.acquire
_rlock_release = _RawRLock.release
# The C RLock's methods for threading.Condition, which typeshed does not declare.
_rlock_release_save: Callable[[Any], Any] = getattr(_RawRLock, "_release_save")
_rlock_acquire_restore: Callable[[Any, Any], None] = getattr(_RawRLock, "_acquire_restore")
_rlock_at_fork_reinit: Callable[[Any], None] = getattr(_RawRLock, "_at_fork_reinit")
_rlock_is_owned: Callable[[Any], bool] = getattr(_RawRLock, "_is_owned")
_lock_at_fork_reinit: Callable[[Any], None] = getattr(_RawLockType, "_at_fork_reinit")

#: co_filename of this module: its frames (the wrappers, the wait functions) are never where
#: the user made or waits for a lock.
THIS_FILE = os.path.normcase(os.path.abspath(__file__))
_THREADING_FILE = os.path.normcase(os.path.abspath(threading.__file__))
# co_filename of this module's and threading's code: their frames are never
# where the user made a lock.
_SKIPPED_BY_CREATION_SITE = frozenset(
    {__file__, threading.__file__, THIS_FILE, _THREADING_FILE}
)


def _creation_site() -> tuple[str, int]:
    """The first frame outside this module and threading.py: where the lock was made."""
    try:
        f: FrameType | None = sys._getframe(2)  # the lock's creator, two frames up
    except ValueError:  # made from C with no Python caller
        return "<unknown>", 0
    while f is not None:
        filename = f.f_code.co_filename
        if filename not in _SKIPPED_BY_CREATION_SITE:
            return filename, f.f_lineno or 0
        f = f.f_back
    return "<unknown>", 0


class _LockMeta(type):
    """Lets ``isinstance(x, threading.Lock)`` stay true for plain locks too."""

    def __instancecheck__(cls, obj: object) -> bool:
        return type.__instancecheck__(cls, obj) or isinstance(obj, _RawLockType)


def _wait_for_lock(lock: "TrackedLock", raw: Any, blocking: bool, timeout: float) -> bool:
    """Block on `raw` for `lock`.  A thread in this frame is waiting for `lock`."""
    if raw.acquire(blocking, timeout):
        lock._owner = _get_ident()
        return True
    return False


def _wait_for_rlock(lock: "TrackedRLock", blocking: bool, timeout: float) -> bool:
    """Block for `lock`.  A thread in this frame is waiting for `lock`."""
    if _rlock_acquire(lock, blocking, timeout):
        me = _get_ident()
        if lock._owner == me:
            lock._count += 1
        else:
            lock._owner = me
            lock._count = 1
        return True
    return False


def _wait_for_rlock_restore(lock: "TrackedRLock", state: Any) -> None:
    """Re-take `lock` after ``Condition.wait``.  A thread in this frame is waiting for `lock`."""
    _rlock_acquire_restore(lock, state)
    lock._owner = _get_ident()
    lock._count = state[0]


class TrackedLock(metaclass=_LockMeta):
    """A ``threading.Lock`` that remembers which thread acquired it.

    Behaves like ``_thread.lock``: ``acquire(blocking, timeout)``,
    ``release``, ``locked``, ``with``, ``_at_fork_reinit`` and the old
    ``*_lock`` aliases.  Like a plain lock, any thread may release it.
    """

    __slots__ = ("_lock", "_owner", "_file", "_line", "__weakref__")

    def __init__(self) -> None:
        self._lock = _raw_allocate_lock()
        #: ``threading.get_ident()`` of the thread that acquired it, 0 when free.
        self._owner = 0
        self._file, self._line = _creation_site()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        lock = self._lock
        if timeout == -1 and lock.acquire(False):
            self._owner = _get_ident()
            return True
        if not blocking and timeout == -1:
            return False
        return _wait_for_lock(self, lock, blocking, timeout)

    def release(self) -> None:
        self._owner = 0
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def _at_fork_reinit(self) -> None:
        _lock_at_fork_reinit(self._lock)
        self._owner = 0

    __enter__ = acquire

    def __exit__(self, *exc: object) -> None:
        self.release()

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    def __repr__(self) -> str:
        state = "locked" if self._lock.locked() else "unlocked"
        return f"<{state} _thread.lock object owner={self._owner} at {id(self):#x}>"


class TrackedRLock(_RawRLock):  # pyright: ignore[reportGeneralTypeIssues]  # typeshed marks it final; CPython allows subclasses, and isinstance(x, RLock) must hold
    """A ``threading.RLock`` that remembers its owner and recursion count.

    A subclass of the C ``_thread.RLock`` (so ``isinstance`` checks hold);
    supports everything ``threading.Condition`` asks of an RLock
    (``_is_owned``, ``_release_save``, ``_acquire_restore``).
    """

    __slots__ = ("_owner", "_count", "_file", "_line")

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._owner = 0
        self._count = 0
        self._file, self._line = _creation_site()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if timeout == -1 and _rlock_acquire(self, False):
            me = _get_ident()
            if self._owner == me:
                self._count += 1
            else:
                self._owner = me
                self._count = 1
            return True
        if not blocking and timeout == -1:
            return False
        return _wait_for_rlock(self, blocking, timeout)

    def release(self) -> None:
        # Update our copy first: once the real lock is free another thread
        # may take it and write its own ident.
        if self._owner == _get_ident():
            count = self._count - 1
            if count <= 0:
                self._count = 0
                self._owner = 0
            else:
                self._count = count
        _rlock_release(self)

    def locked(self) -> bool:
        return self._owner != 0

    def _release_save(self) -> Any:
        if not _rlock_is_owned(self):
            raise RuntimeError("cannot release un-acquired lock")
        self._owner = 0
        self._count = 0
        return _rlock_release_save(self)

    def _acquire_restore(self, state: Any) -> None:
        _wait_for_rlock_restore(self, state)

    def _at_fork_reinit(self) -> None:
        _rlock_at_fork_reinit(self)
        self._owner = 0
        self._count = 0

    __enter__ = acquire

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "locked" if self._owner else "unlocked"
        return (
            f"<{state} {type(self).__module__}.{type(self).__qualname__} object "
            f"owner={self._owner} count={self._count} at {id(self):#x}>"
        )


def _allocate_lock() -> TrackedLock:
    """allocate_lock() -> lock object (tracked by the ftpy debugger)."""
    return TrackedLock()


class _Installed:
    """What `install` replaced, to put back in `uninstall`."""

    saved: list[tuple[Any, str, Any]] | None = None


def installed() -> bool:
    """Are tracked locks installed?"""
    return _Installed.saved is not None


def install() -> None:
    """Make new ``threading.Lock``/``RLock`` and ``_thread.allocate_lock`` locks tracked.

    Call it before user code runs; locks made earlier stay plain.  Calling it
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
    # threading.RLock() is a factory that calls _CRLock (keeping its argument
    # checks); replace the factory only if a future version drops _CRLock.
    if getattr(threading, "_CRLock", None) is not None:
        patch(threading, "_CRLock", TrackedRLock)
    else:
        patch(threading, "RLock", TrackedRLock)
    patch(_thread, "allocate_lock", _allocate_lock)
    patch(_thread, "allocate", _allocate_lock)
    _Installed.saved = saved


def uninstall() -> None:
    """Undo `install` (locks already handed out stay tracked, and keep working)."""
    saved = _Installed.saved
    if saved is None:
        return
    for module, name, value in reversed(saved):
        setattr(module, name, value)
    _Installed.saved = None


class LockState(NamedTuple):
    """One tracked lock's bookkeeping, read at once."""

    kind: str  # "Lock" or "RLock"
    #: ``threading.get_ident()`` of the holder; 0 when free (or, for a Lock, not recorded yet).
    owner: int
    #: How many times the holder has it (an RLock's recursion); 1 for a held Lock, 0 when free.
    times: int
    locked: bool
    #: Where the program made it.
    file: str
    line: int


def lock_state(lock: TrackedLock | TrackedRLock) -> LockState:
    """What a tracked lock knows about itself (for the snapshot)."""
    if isinstance(lock, TrackedRLock):
        owner = lock._owner
        return LockState("RLock", owner, lock._count if owner else 0, bool(owner), lock._file, lock._line)
    locked = lock._lock.locked()
    return LockState("Lock", lock._owner, 1 if locked else 0, locked, lock._file, lock._line)


#: The code of the functions a thread blocks in while it waits for a tracked lock: a frame
#: running one of them says "this thread waits for the lock in its ``lock`` local".
WAIT_CODES = frozenset({
    _wait_for_lock.__code__,
    _wait_for_rlock.__code__,
    _wait_for_rlock_restore.__code__,
})
