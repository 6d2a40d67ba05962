"""Happens-before edges from the threading, queue and concurrent.futures primitives.

Only a few primitives need hooks of their own; the rest are built from them:

* ``threading.Lock`` and ``threading.RLock`` are replaced by thin wrappers that publish the
  releasing thread's vector clock and join it on acquire.  Condition, Semaphore,
  BoundedSemaphore, Barrier, Event's wait, queue.Queue / LifoQueue / PriorityQueue and
  concurrent.futures.Future are all made of these locks, so they get their edges for free.
* ``Thread.start`` (parent → child), thread exit → ``join`` / ``is_alive() == False``.
  Timer and the executors' workers are Threads.
* ``Event.set`` → ``Event.is_set() is True`` / ``wait()`` returning True (is_set takes no lock).
* ``queue.SimpleQueue`` (C, lock-free): ``put`` → ``get``; the thread-pool executor hands
  work to its workers through one.
* ``os._exit`` flushes the logs and the reports before the process goes.

Everything here runs at synchronisation, never on the per-access hot path.
"""

from __future__ import annotations

import _queue
import _thread
import os
import queue
import threading
from array import array
from typing import Any, Callable, Optional

from .hooks import share_between_threads
from .rawthreads import install_raw_threads
from .threadlog import ThreadState, capture_stack
from .vectorclock import vc_join

Current = Callable[[], Optional[ThreadState]]


def _make_lock_classes(alloc: Callable[[], Any], make_rlock: Callable[[], Any],
                       holder: Any) -> tuple[type, type]:
    """The Lock and RLock wrappers, bound to this session's per-thread hook holder.

    Both publish the releasing thread's clock on release and join it on acquire
    (ThreadState.release_lock / acquire_lock); they differ only in which release publishes,
    and RLock's Condition protocol.
    """

    class _Traced:
        __slots__ = ("_ftpy_lock", "_ftpy_vc", "__weakref__")

        # What the methods below need of the session is read from the class, never from
        # their closure: on 3.13t every read of a closure variable locks its cell
        # (PyCell_GetRef), and one cell that every thread's `with lock:` read was a mutex
        # they queued on.  A class attribute is found through the type cache, lock-free.
        _ftpy_holder = holder
        _ftpy_alloc = staticmethod(alloc)
        _ftpy_make_rlock = staticmethod(make_rlock)

        def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
            ok = self._ftpy_lock.acquire(blocking, timeout)
            if ok:
                vc = self._ftpy_vc
                if vc is not None:
                    ts = self._ftpy_holder.ts
                    if ts is not None:
                        ts.acquire_lock(vc)
            return ok

        # The hot path of lock-heavy code: `with lock:` is one Python call each way.  The
        # thread's state is read from the per-thread hook holder (an attribute, not a call);
        # after the session finishes a thread's state only logs into the void.  This is
        # ThreadState.acquire_lock inlined: re-acquiring our own pending release merges it.
        def __enter__(self) -> bool:
            self._ftpy_lock.acquire()
            ts = self._ftpy_holder.ts
            if ts is None:
                return True
            vc = self._ftpy_vc
            # A `with` read of this lock that hook w kept aside (ts.wlock) was a hit if this
            # re-acquire merges, and is an access of the window otherwise.
            if vc is not None and vc is ts.snap and ts.pend:
                ts.wlock = None
                if ts.win or ts.syncs_since_check >= 255:
                    ts.merge()
                else:   # ThreadState.merge inlined, for an empty window
                    ts.pend = 0
                    ts.syncs_since_check += 1
                    last_cell, get_cell, last, last_get = ts.unwindow
                    last_cell.cell_contents = last
                    get_cell.cell_contents = last_get
                return True
            held = ts.wlock
            if held is not None:
                ts.wlock = None
                if held is self:
                    ts.push_slot()
            if vc is not None and vc is not ts.snap and vc is not ts.published:
                ts.acquire(vc)
            return True

        def _at_fork_reinit(self) -> None:
            self._ftpy_lock._at_fork_reinit()
            self._ftpy_vc = None

        def __repr__(self) -> str:
            return repr(self._ftpy_lock)

        def __dir__(self) -> list[str]:
            return dir(self._ftpy_lock)

        def __reduce_ex__(self, protocol: Any) -> Any:
            return self._ftpy_lock.__reduce_ex__(protocol)   # "cannot pickle '_thread.lock' object"

    class Lock(_Traced):
        """A threading.Lock that the race detector can see (same behaviour)."""

        __slots__ = ()

        def __init_subclass__(cls, **kwargs: Any) -> None:
            raise TypeError("type '_thread.lock' is not an acceptable base type")

        def __init__(self) -> None:
            self._ftpy_lock = self._ftpy_alloc()
            self._ftpy_vc: Optional[tuple] = None

        def release(self) -> None:
            lock = self._ftpy_lock
            if lock.locked():
                ts = self._ftpy_holder.ts
                if ts is not None:
                    ts.release_lock(self)
            lock.release()

        # Named parameters, not *exc: no tuple (a GC-tracked allocation) per `with`.
        def __exit__(self, t: Any = None, v: Any = None, tb: Any = None, *more: Any) -> None:
            lock = self._ftpy_lock
            if lock.locked():
                ts = self._ftpy_holder.ts
                if ts is not None:
                    # ThreadState.release_lock inlined: publish, defer the epoch increment.
                    if ts.pend:
                        ts.commit()
                    s = ts.snap
                    if s is None or self._ftpy_vc is not s:
                        s = ts.snap = ts.published = ts.vc[:]
                        self._ftpy_vc = s
                    ts.pend = len(ts.keep) + 1
                    last_cell, get_cell, win, win_get = ts.window
                    last_cell.cell_contents = win
                    get_cell.cell_contents = win_get
            lock.release()

        acquire_lock = _Traced.acquire
        release_lock = release

        def locked(self) -> bool:
            return self._ftpy_lock.locked()

        locked_lock = locked

        def _is_owned(self) -> bool:  # for Condition; must not add edges
            if self._ftpy_lock.acquire(False):
                self._ftpy_lock.release()
                return False
            return True

    class RLock(_Traced):
        """A threading.RLock that the race detector can see (same behaviour)."""

        __slots__ = ()

        def __init_subclass__(cls, **kwargs: Any) -> None:
            raise TypeError("type '_thread.RLock' is not an acceptable base type")

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._ftpy_lock = self._ftpy_make_rlock()
            self._ftpy_vc: Optional[tuple] = None

        # Only the outermost release publishes: no other thread can take the lock before
        # it, and it publishes everything the inner ones would (nested `with` on one RLock
        # then stays in one epoch).  A count of 0 is a release that is about to fail.
        def release(self) -> None:
            lock = self._ftpy_lock
            if lock._recursion_count() == 1:
                ts = self._ftpy_holder.ts
                if ts is not None:
                    ts.release_lock(self)
            lock.release()

        def __exit__(self, t: Any = None, v: Any = None, tb: Any = None, *more: Any) -> None:
            lock = self._ftpy_lock
            if lock._recursion_count() == 1:
                ts = self._ftpy_holder.ts
                if ts is not None:
                    ts.release_lock(self)
            lock.release()

        def _is_owned(self) -> bool:
            return self._ftpy_lock._is_owned()

        def _release_save(self) -> Any:
            lock = self._ftpy_lock
            if lock._is_owned():
                ts = self._ftpy_holder.ts
                if ts is not None:
                    ts.release_lock(self)
            return lock._release_save()

        def _acquire_restore(self, state: Any) -> None:
            self._ftpy_lock._acquire_restore(state)
            vc = self._ftpy_vc
            if vc is not None:
                ts = self._ftpy_holder.ts
                if ts is not None:
                    ts.acquire_lock(vc)

        def _recursion_count(self) -> int:
            return self._ftpy_lock._recursion_count()

    # Pickled by reference as what they replace (a spawn or forkserver child, or a Manager's
    # server process, unpickles the real ones): multiprocessing pickles threading.Lock.
    Lock.__module__, Lock.__qualname__ = "threading", "Lock"
    RLock.__module__, RLock.__name__, RLock.__qualname__ = "_thread", "RLock", "RLock"
    return Lock, RLock


def _like(fn: Any, original: Any) -> None:
    """Give a replacement the names and docstring of what it replaces."""
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(fn, attr, getattr(original, attr))
        except (AttributeError, TypeError):  # pragma: no cover
            pass


def _rlock_factory(impl: type, original: Any) -> Any:
    """threading.RLock is a factory function, not a class (it cannot be subclassed)."""

    def RLock(*args: Any, **kwargs: Any) -> Any:
        if args or kwargs:   # as threading.RLock warns (3.13), pointing at the caller
            import warnings
            warnings.warn("Passing arguments to RLock is deprecated and will be removed in 3.15",
                          DeprecationWarning, stacklevel=2)
        return impl(*args, **kwargs)

    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(RLock, attr, getattr(original, attr))
        except (AttributeError, TypeError):  # pragma: no cover
            pass
    return RLock


class SyncPatcher:
    """Installs and removes the hooks above for one session."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.saved: list[tuple[Any, str, Any]] = []
        self.mu = _thread.allocate_lock()   # guards clocks that several threads publish into

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        self.saved.append((owner, name, owner.__dict__.get(name, getattr(owner, name, None))))
        share_between_threads(value)
        setattr(owner, name, value)

    def uninstall(self) -> None:
        for owner, name, value in reversed(self.saved):
            try:
                setattr(owner, name, value)
            except (AttributeError, TypeError):  # pragma: no cover
                pass
        self.saved.clear()

    def publish(self, obj: Any, snap: tuple) -> None:
        """Join `snap` into the clock stored on `obj` (several publishers)."""
        with self.mu:
            old = getattr(obj, "_ftpy_vc", None)
            obj._ftpy_vc = array("q", vc_join(old, snap)) if old else snap

    def install(self) -> None:
        session = self.session
        current: Current = session.current
        publish = self.publish

        lock_class, rlock_class = _make_lock_classes(_thread.allocate_lock, _thread.RLock, session.tl)
        # For hook w (threadlog): threads made from now on read them from the session;
        # those that exist already (the main thread) are told.
        session.lock_types = (lock_class, rlock_class)
        share_between_threads(rlock_class)    # (the Lock class is shared as it is patched in)
        for ts in list(session.threads.values()):
            ts.locks_cell.cell_contents = frozenset(session.lock_types)
        self._patch(threading, "Lock", lock_class)
        self._patch(threading, "RLock", _rlock_factory(rlock_class, threading.RLock))

        # Threads ----------------------------------------------------------------------
        Thread = threading.Thread
        orig_start = Thread.start
        orig_boot = Thread._bootstrap_inner   # type: ignore[attr-defined]
        orig_join = Thread.join
        orig_alive = Thread.is_alive

        def start(self: threading.Thread) -> None:
            ts = current()
            if ts is not None and "_ftpy_init" not in self.__dict__:
                idx = session.new_thread_index()
                snap = ts.release()
                self.__dict__["_ftpy_init"] = (idx, snap, capture_stack(1), ts.idx)
                ts.flush()
            orig_start(self)

        def _bootstrap_inner(self: threading.Thread) -> None:
            init = self.__dict__.get("_ftpy_init")
            if init is not None:
                session.begin_thread(self.name, init)
            try:
                orig_boot(self)
            finally:
                if init is not None:
                    session.end_thread(self)

        def _joined(self: threading.Thread) -> None:
            final = self.__dict__.get("_ftpy_final")
            if final is not None:
                ts = current()
                if ts is not None:
                    ts.acquire(final)

        def join(self: threading.Thread, timeout: Optional[float] = None) -> None:
            orig_join(self, timeout)
            if not orig_alive(self):
                _joined(self)
                ts = current()
                if ts is not None:
                    ts.flush()

        def is_alive(self: threading.Thread) -> bool:
            alive = orig_alive(self)
            if not alive and self._started.is_set():   # type: ignore[attr-defined]
                _joined(self)
            return alive

        for name, fn in (("start", start), ("_bootstrap_inner", _bootstrap_inner),
                         ("join", join), ("is_alive", is_alive)):
            _like(fn, getattr(Thread, name))
            self._patch(Thread, name, fn)

        # Event.is_set / wait ------------------------------------------------------------
        Event = threading.Event
        orig_set = Event.set
        orig_is_set = Event.is_set
        orig_wait = Event.wait

        def ev_set(self: threading.Event) -> None:
            ts = current()
            if ts is not None:
                publish(self, ts.release())
            orig_set(self)

        def ev_is_set(self: threading.Event) -> bool:
            r = orig_is_set(self)
            if r:
                vc = getattr(self, "_ftpy_vc", None)
                if vc:
                    ts = current()
                    if ts is not None:
                        ts.acquire(vc)
            return r

        def ev_wait(self: threading.Event, timeout: Optional[float] = None) -> bool:
            r = orig_wait(self, timeout)
            if r:
                vc = getattr(self, "_ftpy_vc", None)
                if vc:
                    ts = current()
                    if ts is not None:
                        ts.acquire(vc)
            return r

        for name, fn in (("set", ev_set), ("is_set", ev_is_set), ("wait", ev_wait)):
            _like(fn, getattr(Event, name))
            self._patch(Event, name, fn)
        # Event.isSet stays: it warns, then calls is_set (patched above).

        # queue.SimpleQueue ---------------------------------------------------------------
        class SimpleQueue(_queue.SimpleQueue):  # type: ignore[misc]
            """queue.SimpleQueue with put → get edges for the race detector."""

            def put(self, item: Any, block: bool = True, timeout: Optional[float] = None) -> None:
                ts = current()
                if ts is not None:
                    publish(self, ts.release())
                super().put(item, block, timeout)

            def put_nowait(self, item: Any) -> None:
                self.put(item, False)

            def get(self, block: bool = True, timeout: Optional[float] = None) -> Any:
                item = super().get(block, timeout)
                vc = getattr(self, "_ftpy_vc", None)
                if vc:
                    ts = current()
                    if ts is not None:
                        ts.acquire(vc)
                return item

            def get_nowait(self) -> Any:
                return self.get(False)

        SimpleQueue.__module__ = "queue"
        SimpleQueue.__qualname__ = "SimpleQueue"
        SimpleQueue.__doc__ = _queue.SimpleQueue.__doc__
        self._patch(queue, "SimpleQueue", SimpleQueue)

        # os._exit ------------------------------------------------------------------------
        orig_exit = os._exit

        def _exit(code: int) -> None:
            try:
                code = session.before_os_exit(code)
            finally:
                orig_exit(code)

        _like(_exit, orig_exit)

        self._patch(os, "_exit", _exit)

        # Threads and locks made with _thread directly ------------------------------------
        install_raw_threads(self._patch, session, lock_class)
