"""Who holds which lock, who waits for which, and whether they deadlock.

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

from __future__ import annotations

import _thread
import gc
import os
import sys
import threading
from types import FrameType
from typing import Any, Callable, Optional

__all__ = [
    "TrackedLock",
    "TrackedRLock",
    "install",
    "uninstall",
    "installed",
    "snapshot",
    "find_deadlocks",
    "anyone_waiting",
    "render",
]

_RawLockType = _thread.LockType
_raw_allocate_lock = _thread.allocate_lock
_RawRLock = _thread.RLock
_get_ident = _thread.get_ident
_rlock_acquire = _RawRLock.acquire
_rlock_release = _RawRLock.release
_rlock_release_save = _RawRLock._release_save
_rlock_acquire_restore = _RawRLock._acquire_restore
_rlock_at_fork_reinit = _RawRLock._at_fork_reinit

_THIS_FILE = os.path.normcase(os.path.abspath(__file__))
_THREADING_FILE = os.path.normcase(os.path.abspath(threading.__file__))
_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# co_filename of this module's and threading's code: their frames are never
# where the user made a lock.
_SKIPPED_BY_CREATION_SITE = frozenset(
    {__file__, threading.__file__, _THIS_FILE, _THREADING_FILE}
)


def _creation_site() -> tuple[str, int]:
    """The first frame outside this module and threading.py: where the lock was made."""
    try:
        f: Optional[FrameType] = sys._getframe(2)
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
        self._lock._at_fork_reinit()
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


class TrackedRLock(_RawRLock):
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
        if not self._is_owned():
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


# -- Installing ----------------------------------------------------------------


def _allocate_lock() -> TrackedLock:
    """allocate_lock() -> lock object (tracked by the ftpy debugger)."""
    return TrackedLock()


class _Installed:
    """What `install` replaced, to put back in `uninstall`."""

    saved: Optional[list[tuple[Any, str, Any]]] = None


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


# -- Snapshots -----------------------------------------------------------------

_WAIT_CODES = {
    _wait_for_lock.__code__,
    _wait_for_rlock.__code__,
    _wait_for_rlock_restore.__code__,
}
_CONDITION_WAIT_CODES = {threading.Condition.wait.__code__, threading.Condition.wait_for.__code__}


def _is_ours(lock: Any) -> bool:
    """Was `lock` made by the debugger's runtime rather than the program?"""
    return os.path.abspath(lock._file).startswith(_RUNTIME_DIR)


def _lock_info(lock: Any) -> dict[str, Any]:
    kind = "RLock" if isinstance(lock, TrackedRLock) else "Lock"
    return {
        "id": f"{id(lock):#x}",
        "type": kind,
        "locked": bool(lock._owner) if kind == "RLock" else lock._lock.locked(),
        "created": {"file": lock._file, "line": lock._line},
    }


def _thread_ref(ident: Optional[int], names: dict[int, str]) -> Optional[dict[str, Any]]:
    if not ident:
        return None
    return {"id": ident, "name": names.get(ident, f"thread {ident}")}


def _stack(frame: Optional[FrameType]) -> list[dict[str, Any]]:
    """Frames innermost first, leaving out this module's own."""
    out = []
    while frame is not None:
        code = frame.f_code
        if os.path.normcase(os.path.abspath(code.co_filename)) != _THIS_FILE:
            out.append(
                {
                    "function": getattr(code, "co_qualname", code.co_name),
                    "file": os.path.abspath(code.co_filename)
                    if not code.co_filename.startswith("<")
                    else code.co_filename,
                    "line": frame.f_lineno or 0,
                }
            )
        frame = frame.f_back
    return out


def _waiting_for(frame: Optional[FrameType]) -> tuple[str, Any]:
    """("lock", lock) or ("condition", cond) or ("", None) for a thread's innermost frame."""
    f = frame
    while f is not None:
        code = f.f_code
        if code in _WAIT_CODES:
            return "lock", f.f_locals.get("lock")
        if code in _CONDITION_WAIT_CODES:
            return "condition", f.f_locals.get("self")
        f = f.f_back
    return "", None


def _thread_names() -> dict[int, str]:
    """ident -> name for every thread threading knows, without taking its lock.

    ``threading.enumerate()`` takes ``_active_limbo_lock``; while a debugger
    has stopped the world, a parked thread may hold it, and the snapshot
    would wait forever.  Copying ``threading._active`` is one dict
    operation, atomic on its own.
    """
    active = getattr(threading, "_active", None)
    if not isinstance(active, dict):  # pragma: no cover - every CPython has it
        return {t.ident: t.name for t in threading.enumerate() if t.ident is not None}
    return {ident: t.name for ident, t in dict(active).items()}


def anyone_waiting(frames: dict[int, FrameType]) -> bool:
    """Is some thread in `frames` blocked acquiring a tracked lock?

    Cheap (a walk up each stack, no heap scan): a debugger can call it on
    every stop and take a full `snapshot` only when it says yes.
    """
    return any(_waiting_for(f)[0] == "lock" for f in frames.values())


def snapshot(
    frames: Optional[dict[int, FrameType]] = None,
    thread_names: Optional[dict[int, str]] = None,
) -> dict[str, Any]:
    """Which tracked locks are held, and which threads wait for what.

    `frames` defaults to ``sys._current_frames()``; `thread_names` to the
    names threading has registered (read without taking threading's lock).  Returns::

        {"installed": True,
         "held": [{"lock": {"id": "0x7f..", "type": "Lock", "locked": True,
                            "created": {"file": "/abs/prog.py", "line": 5}},
                   "owner": {"id": 1403.., "name": "worker-1"}, "count": 1}],
         "waiting": [{"thread": {"id": .., "name": ..}, "kind": "lock",
                      "lock": {...}, "owner": {"id": .., "name": ..} | None,
                      "stack": [{"function": .., "file": .., "line": ..}, ...]},
                     {"thread": {...}, "kind": "condition",
                      "condition": "0x7f..", "stack": [...]}]}

    ``stack[0]`` is the innermost frame.  ``owner`` is None for a locked
    Lock whose acquirer hasn't been recorded yet (a moment's race).
    """
    if frames is None:
        frames = sys._current_frames()
    if thread_names is None:
        thread_names = _thread_names()
    tracked = (TrackedLock, TrackedRLock)
    # The debugger's own locks (made in this package) are not the program's business.
    locks = [o for o in gc.get_objects() if type(o) in tracked and not _is_ours(o)]

    held = []
    for lock in locks:
        if isinstance(lock, TrackedRLock):
            owner = lock._owner
            if not owner:
                continue
            count = lock._count
        else:
            if not lock._lock.locked():
                continue
            owner = lock._owner
            count = 1
        held.append({"lock": _lock_info(lock), "owner": _thread_ref(owner, thread_names), "count": count})

    waiting = []
    for ident, frame in frames.items():
        kind, target = _waiting_for(frame)
        if not kind or target is None or (kind == "lock" and _is_ours(target)):
            continue
        entry: dict[str, Any] = {
            "thread": _thread_ref(ident, thread_names) or {"id": ident, "name": f"thread {ident}"},
            "kind": kind,
            "stack": _stack(frame),
        }
        if kind == "lock":
            entry["lock"] = _lock_info(target)
            entry["owner"] = _thread_ref(target._owner, thread_names)
        else:
            entry["condition"] = f"{id(target):#x}"
        waiting.append(entry)
    return {"installed": installed(), "held": held, "waiting": waiting}


def find_deadlocks(
    frames: Optional[dict[int, FrameType]] = None,
    thread_names: Optional[dict[int, str]] = None,
    snap: Optional[dict[str, Any]] = None,
) -> list[dict[str, Any]]:
    """Cycles in the wait-for graph: threads each waiting for a lock the next one holds.

    Pass `snap` (from `snapshot`) to reuse one, otherwise one is taken from
    `frames` and `thread_names`.  Each deadlock is::

        {"kind": "lock-order-inversion" | "double-lock",
         "threads": [{"id": .., "name": .., "waiting_for": {lock},
                      "holding": [{lock}, ..], "stack": [frames..]}, ..],
         "locks": [{lock}, ..],
         "text": "TSAN-style report"}

    A cycle of one thread ("double-lock") is a thread waiting for a plain
    Lock it acquired itself: a deadlock unless some other thread releases it.
    """
    if snap is None:
        snap = snapshot(frames, thread_names)
    holder_frames = frames if frames is not None else sys._current_frames()

    waits: dict[int, dict[str, Any]] = {}
    for w in snap["waiting"]:
        if w["kind"] == "lock" and w.get("owner"):
            waits[w["thread"]["id"]] = w
    holding: dict[int, list[dict[str, Any]]] = {}
    for h in snap["held"]:
        if h["owner"]:
            holding.setdefault(h["owner"]["id"], []).append(h["lock"])

    deadlocks = []
    seen: set[int] = set()
    for start in waits:
        if start in seen:
            continue
        path: list[int] = []
        on_path: dict[int, int] = {}
        node: Optional[int] = start
        while node is not None and node in waits and node not in seen and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = waits[node]["owner"]["id"]
        if node is not None and node in on_path:
            cycle = path[on_path[node] :]
            threads = []
            for ident in cycle:
                w = waits[ident]
                stack = w["stack"]
                if not stack and ident in holder_frames:
                    stack = _stack(holder_frames[ident])
                threads.append(
                    {
                        "id": ident,
                        "name": w["thread"]["name"],
                        "waiting_for": w["lock"],
                        "holding": holding.get(ident, []),
                        "stack": stack,
                    }
                )
            report = {
                "kind": "double-lock" if len(cycle) == 1 else "lock-order-inversion",
                "threads": threads,
                "locks": [t["waiting_for"] for t in threads],
            }
            report["text"] = render(report)
            deadlocks.append(report)
        seen.update(path)
    return deadlocks


def render(deadlock: dict[str, Any]) -> str:
    """A deadlock report in the spirit of ThreadSanitizer's."""
    locks = deadlock["locks"]
    names = {lock["id"]: f"M{i}" for i, lock in enumerate(locks)}
    threads = deadlock["threads"]
    tnames = {t["id"]: f"T{i + 1}" for i, t in enumerate(threads)}
    kind = deadlock["kind"]
    title = (
        "lock-order-inversion (potential deadlock)"
        if kind == "lock-order-inversion"
        else "double lock of a non-reentrant Lock (deadlock unless another thread releases it)"
    )
    lines = ["==================", f"WARNING: ftpy: {title} (pid={os.getpid()})"]
    cycle = " => ".join(f"{names[m['id']]} ({m['id']})" for m in locks)
    lines.append(f"  Cycle in lock order graph: {cycle} => {names[locks[0]['id']]}")
    lines.append("")
    by_lock_owner = {}
    for i, t in enumerate(threads):
        # Thread i waits for locks[i], held by the next thread in the cycle.
        by_lock_owner[locks[i]["id"]] = threads[(i + 1) % len(threads)]
    for t in threads:
        want = t["waiting_for"]
        holder = by_lock_owner[want["id"]]
        held = ", ".join(names.get(m["id"], m["id"]) for m in t["holding"]) or "nothing tracked"
        lines.append(
            f"  Thread {tnames[t['id']]} '{t['name']}' (ident {t['id']}) holds {held} "
            f"and waits for {names[want['id']]}, held by {tnames[holder['id']]} '{holder['name']}':"
        )
        for n, fr in enumerate(t["stack"]):
            lines.append(f"    #{n} {fr['function']} {fr['file']}:{fr['line']}")
        lines.append("")
    for m in locks:
        created = m["created"]
        lines.append(f"  Mutex {names[m['id']]} ({m['id']}, {m['type']}) created at {created['file']}:{created['line']}")
    lines.append("")
    first = threads[0]["stack"][0] if threads and threads[0]["stack"] else None
    where = f" {first['file']}:{first['line']} in {first['function']}" if first else ""
    lines.append(f"SUMMARY: ftpy: {title}{where}")
    lines.append("==================")
    return "\n".join(lines)
