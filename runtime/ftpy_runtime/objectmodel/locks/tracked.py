"""Tracked locks: ``threading.Lock``/``RLock`` that know their owner, at a plain lock's speed.

The rest of the package reads them: ``snapshot.py`` (who holds which, who waits for what),
``waitfor.py`` (cycles in the wait-for graph: deadlocks) and ``render.py`` (the text report).

A ``_thread.lock`` doesn't know its owner, so `install` (called by the debug
agent before user code runs) makes ``threading.Lock()``, ``threading.RLock()``
and ``_thread.allocate_lock()`` return tracked locks, which remember where
they were made.

Keeping it cheap
----------------
Both tracked types are subclasses of the C ``_thread.RLock``, which records
its owner's ident and its recursion count in C on every acquire, and both
inherit its C ``__enter__``/``__exit__``: a ``with lock:`` block costs one C
call in and one out, as with a plain lock, and runs no Python code at all
(``bench/bench_locks.py`` measures it; a Python-level wrapper cost 2-3x a
plain lock's pair on the free-threaded 3.13 build, which doesn't specialize).
The owner and count are read on demand, from the C lock's ``repr``.

``TrackedLock`` keeps a ``Lock``'s semantics on its Python-level methods:
``acquire()`` by the holder waits (a Lock isn't reentrant), ``release()`` works
from any thread, ``locked()``, and no RLock-only methods (so
``threading.Condition`` treats it as a Lock).  The one difference: a ``with``
block on a Lock the thread already holds (a self-deadlock outside the
debugger) goes on, as on an RLock; the snapshot shows the lock held twice.

Waiting threads: explicit ``acquire()`` calls that have to wait go through
`_wait_for_lock`/`_wait_for_rlock`, functions whose only job is to be
recognisable (`snapshot` finds their frames in ``sys._current_frames()`` and
reads the lock from the frame's locals).  A thread blocked in a ``with lock:``
has no such frame: `snapshot` sees its innermost frame standing on the
``BEFORE_WITH`` (or the ``lock.__enter__()`` call) and re-reads the lock from
the names that instruction loaded.  Held locks are found by scanning
`gc.get_objects` (which stops the world in free-threaded builds) for tracked
locks, so nothing is recorded anywhere until somebody asks.

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
import re
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, NamedTuple

_RawLockType = _thread.LockType
_raw_allocate_lock = _thread.allocate_lock
_RawRLock = _thread.RLock
_rlock_acquire = _RawRLock.acquire
# The C RLock's methods for threading.Condition, which typeshed does not declare.
_rlock_release_save: Callable[[Any], Any] = getattr(_RawRLock, "_release_save")
_rlock_acquire_restore: Callable[[Any, Any], None] = getattr(_RawRLock, "_acquire_restore")
_rlock_at_fork_reinit: Callable[[Any], None] = getattr(_RawRLock, "_at_fork_reinit")
_rlock_is_owned: Callable[[Any], bool] = getattr(_RawRLock, "_is_owned")

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


_rlock_repr: Callable[[Any], str] = _RawRLock.__repr__
_OWNER_COUNT = re.compile(r" owner=(\d+) count=(\d+) ")


def owner_count(lock: Any) -> tuple[int, int]:
    """(owner's ident, recursion count) of a tracked lock, from the C RLock's own record; (0, 0) when free."""
    m = _OWNER_COUNT.search(_rlock_repr(lock))
    if m is None:
        return 0, 0
    count = int(m.group(2))
    return (int(m.group(1)) if count else 0), count


def _check_lock_args(blocking: bool, timeout: float) -> None:
    """The argument checks of ``_thread.lock.acquire``, for the paths that don't reach it."""
    if not blocking and timeout != -1:
        raise ValueError("can't specify a timeout for a non-blocking call")
    if timeout < 0 and timeout != -1:
        raise ValueError("timeout value must be a non-negative number")


def _wait_for_lock(lock: "TrackedLock", blocking: bool, timeout: float) -> bool:
    """Block for `lock`.  A thread in this frame is waiting for `lock`."""
    if _rlock_is_owned(lock):
        # Its holder asks again: a Lock isn't reentrant, so it waits until another thread
        # releases it (a deadlock, unless one does), on a gate that `release` opens.
        _check_lock_args(blocking, timeout)
        deadline = time.monotonic() + timeout if timeout != -1 else None
        gate = _raw_allocate_lock()
        gate.acquire()
        gates = lock._gates
        if gates is None:
            gates = lock._gates = []
        gates.append(gate)
        try:
            if _rlock_is_owned(lock) and not gate.acquire(True, timeout):
                return False
        finally:
            gates.remove(gate)
        if deadline is not None:
            timeout = max(0.0, deadline - time.monotonic())
    return _rlock_acquire(lock, blocking, timeout)


def _wait_for_rlock(lock: "TrackedRLock", blocking: bool, timeout: float) -> bool:
    """Block for `lock`.  A thread in this frame is waiting for `lock`."""
    return _rlock_acquire(lock, blocking, timeout)


def _wait_for_rlock_restore(lock: "TrackedRLock", state: Any) -> None:
    """Re-take `lock` after ``Condition.wait``.  A thread in this frame is waiting for `lock`."""
    _rlock_acquire_restore(lock, state)


class _Absent:
    """A class attribute that isn't there: hides the C RLock's methods that a Lock lacks
    (``threading.Condition`` looks for ``_release_save`` and friends to tell an RLock)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, objtype: type | None = None) -> Any:
        raise AttributeError(self.name)


def _lock_methods() -> tuple[Callable[..., bool], Callable[[Any], None]]:
    """`TrackedLock`'s ``acquire`` and ``release``, reading what they call from a closure.

    Finalizers take locks while the interpreter shuts down (``Popen.__del__`` polls under its
    ``_waitpid_lock``), after module globals, this module's included, have been set to None:
    a method that looked its helpers up as globals then raised ``TypeError: 'NoneType' object
    is not callable`` from the program's own ``__del__``.  Closure cells are not cleared.
    """
    is_owned, try_acquire, release_save = _rlock_is_owned, _rlock_acquire, _rlock_release_save
    check_args, wait = _check_lock_args, _wait_for_lock

    def acquire(self: TrackedLock, blocking: bool = True, timeout: float = -1) -> bool:
        if not is_owned(self):
            if timeout == -1 and try_acquire(self, False):
                return True
            if not blocking and timeout == -1:
                return False
        elif not blocking:
            check_args(blocking, timeout)
            return False
        return wait(self, blocking, timeout)

    def release(self: TrackedLock) -> None:
        # Any thread may release a Lock: let go of the C lock whoever holds it.
        try:
            release_save(self)
        except RuntimeError:
            raise RuntimeError("release unlocked lock") from None
        gates = self._gates
        if gates:
            for gate in list(gates):
                try:
                    gate.release()
                except RuntimeError:  # opened already
                    pass

    acquire.__qualname__, release.__qualname__ = "TrackedLock.acquire", "TrackedLock.release"
    return acquire, release


class TrackedLock(_RawRLock, metaclass=_LockMeta):  # pyright: ignore[reportGeneralTypeIssues]  # typeshed marks RLock final; CPython allows subclasses
    """A ``threading.Lock`` that knows which thread holds it.

    Behaves like ``_thread.lock``: ``acquire(blocking, timeout)`` (not reentrant),
    ``release`` (from any thread), ``locked``, ``with``, ``_at_fork_reinit`` and
    the old ``*_lock`` aliases.  ``with`` is the C RLock's own ``__enter__`` and
    ``__exit__``: no Python code runs, and the C lock records the owner.
    """

    __slots__ = ("_file", "_line", "_gates")

    def __init__(self) -> None:
        self._file, self._line = _creation_site()
        #: The gates of a holder waiting for its own lock (`_wait_for_lock`); None when none ever did.
        self._gates: list[Any] | None = None

    @property
    def _owner(self) -> int:
        """``threading.get_ident()`` of the holder, 0 when free."""
        return owner_count(self)[0]

    acquire, release = _lock_methods()  # pyright: ignore[reportAssignmentType]  # the C RLock's signatures, kept

    def locked(self) -> bool:
        return owner_count(self)[1] > 0

    def _at_fork_reinit(self) -> None:
        _rlock_at_fork_reinit(self)
        self._gates = None

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    _release_save = _Absent()
    _acquire_restore = _Absent()
    _is_owned = _Absent()
    _recursion_count = _Absent()

    def __repr__(self) -> str:
        owner, count = owner_count(self)
        state = "locked" if count else "unlocked"
        return f"<{state} _thread.lock object owner={owner} at {id(self):#x}>"


def _rlock_acquire_method() -> Callable[..., bool]:
    """`TrackedRLock.acquire`, reading what it calls from a closure (see `_lock_methods`)."""
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


class _Probe:
    works: bool | None = None


def lock_tracking_works() -> bool:
    """Can a TrackedLock be released by a thread other than its holder, as a Lock must?

    It lets go through the C RLock's ``_release_save``, which on 3.12/3.13 doesn't ask who
    holds the lock; should a later CPython check, `install` leaves ``threading.Lock`` plain
    (RLocks stay tracked) rather than change what a program's locks do.  Probed once, without
    a thread: a lock made to look held by some other ident, then released here.
    """
    if _Probe.works is None:
        probe = _RawRLock()
        try:
            _rlock_acquire_restore(probe, (1, _thread.get_ident() ^ 0x5A5A))
            _rlock_release_save(probe)
            _Probe.works = True
        except Exception:
            _Probe.works = False
    return _Probe.works


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

    if lock_tracking_works():
        patch(threading, "Lock", TrackedLock)
        patch(_thread, "allocate_lock", _allocate_lock)
        patch(_thread, "allocate", _allocate_lock)
    # threading.RLock() is a factory that calls _CRLock (keeping its argument
    # checks); replace the factory only if a future version drops _CRLock.
    if getattr(threading, "_CRLock", None) is not None:
        patch(threading, "_CRLock", TrackedRLock)
    else:
        patch(threading, "RLock", TrackedRLock)
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
    #: ``threading.get_ident()`` of the holder; 0 when free.
    owner: int
    #: How many times the holder has it (an RLock's recursion; 1 for a held Lock, 2 or more when
    #: its holder entered a ``with`` on it again); 0 when free.
    times: int
    locked: bool
    #: Where the program made it.
    file: str
    line: int


def lock_state(lock: TrackedLock | TrackedRLock) -> LockState:
    """What a tracked lock knows about itself (for the snapshot)."""
    owner, count = owner_count(lock)
    kind = "RLock" if isinstance(lock, TrackedRLock) else "Lock"
    return LockState(kind, owner, count, count > 0, lock._file, lock._line)


#: The code of the functions a thread blocks in while it waits for a tracked lock: a frame
#: running one of them says "this thread waits for the lock in its ``lock`` local".
WAIT_CODES = frozenset({
    _wait_for_lock.__code__,
    _wait_for_rlock.__code__,
    _wait_for_rlock_restore.__code__,
})
