"""The thread registry: what the debugger knows about each Python thread, and its DAP id.

One `ThreadState` per thread the debugger has seen (the main thread is id 1), found by
``threading.get_ident()``.  The registry never calls ``threading.enumerate()`` or
``threading.current_thread()``: a parked thread may hold threading's own lock, and a tracing
callback must not create a ``_DummyThread``; it reads ``threading._active`` instead.

The registry shares its lock with the `stopping.World` that owns it: the thread table and the
parked set change together, under the one lock of the thread world.
"""

from __future__ import annotations

import _queue
import _thread
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..user_code import RUNTIME_IDENTS, is_runtime_ident, is_runtime_thread_name, registered_thread, thread_objects


class ParkedWork(Protocol):
    """Something a parked thread runs when it finds it in its inbox (`parked_calls.Work`)."""

    def run(self, ts: ThreadState) -> None: ...


@dataclass
class Step:
    """A step under way on one thread: what ends it (see `debugger.core.Debugger._step_done`)."""

    kind: str  # "in", "over", "out" or "entry"
    frame: types.FrameType | None


class ThreadState:
    """What the debugger knows about one Python thread."""

    def __init__(self, ident: int, dap_id: int, thread: threading.Thread | None) -> None:
        self.ident = ident
        self.id = dap_id
        self.thread = thread
        #: While parked: the frame it parked in, and (for an uncaught exception) the stack to show.
        self.frame: types.FrameType | None = None
        self.stack_override: list[tuple[types.FrameType, int]] | None = None
        #: Work for a parked thread (`stopping.World.park` serves it); None ends parking.
        self.inbox: _queue.SimpleQueue[ParkedWork | None] = _queue.SimpleQueue()
        self.parked = False
        #: Parked and running debugger work (an evaluation): its own events are ignored.
        self.busy = False
        self.step: Step | None = None
        self.exception: dict[str, Any] | None = None
        #: The last exception reported with the "raised" filter (each is reported once).
        self.last_raised: BaseException | None = None

    @property
    def name(self) -> str:
        return self.thread.name if self.thread is not None else f"Thread-{self.ident}"


class ThreadRegistry:
    """Every thread the debugger has seen, by ident, with stable DAP ids."""

    def __init__(self) -> None:
        #: The thread world's one lock (the World uses it too), taken only on slow paths.
        self.lock = _thread.allocate_lock()
        #: ident -> state.  Read without the lock on the tracing hot path (one ``dict.get``), so
        #: it is changed in place and never replaced.
        self.by_ident: dict[int, ThreadState] = {}
        #: Idents of the runtime's long-lived threads (agent, coordinator): never parked, never shown.
        self.internal_idents: set[int] = set()
        self._next_id = 1
        #: Called with (reason, thread) when a thread appears or goes away ("started"/"exited").
        self.on_change: Callable[[str, ThreadState], None] | None = None
        self._known_threads: dict[int, threading.Thread] = {}

    def state_for(self, ident: int, thread: threading.Thread | None = None) -> ThreadState:
        ts = self.by_ident.get(ident)
        if ts is not None and (thread is None or ts.thread is thread or ts.thread is None):
            if ts.thread is None and thread is not None:
                ts.thread = thread
            return ts
        with self.lock:
            ts = self.by_ident.get(ident)
            if ts is None or (thread is not None and ts.thread is not None and ts.thread is not thread):
                ts = ThreadState(ident, self._next_id, thread)
                self._next_id += 1
                # The key object is the thread's own ident (made by that thread), not the one
                # we were handed (the agent's, from sys._current_frames()): on 3.13t a lookup
                # whose stored key is owned by another thread misses the lock-free path
                # (several µs), and the thread itself does the hot-path lookups.  A replaced
                # entry keeps its old key object, hence the delete.
                own = thread.ident if thread is not None else None
                key = own if own is not None and own == ident else ident
                self.by_ident.pop(ident, None)
                self.by_ident[key] = ts
            return ts

    def current(self) -> ThreadState:
        """The calling thread's state.  Never ``threading.current_thread()`` here: for a thread
        that is not registered (yet, or any more) it would create a ``_DummyThread`` from inside
        a tracing callback."""
        ident = threading.get_ident()
        ts = self.by_ident.get(ident)
        if ts is None:
            ts = self.state_for(ident, registered_thread(ident))
        return ts

    def by_id(self, dap_id: int) -> ThreadState | None:
        for ts in list(self.by_ident.values()):
            if ts.id == dap_id:
                return ts
        return None

    def main(self) -> ThreadState | None:
        """The main thread's state, else any (the pause fallback)."""
        main = threading.main_thread()
        return self.by_ident.get(main.ident or 0) or next(iter(self.by_ident.values()), None)

    def is_internal_ident(self, ident: int) -> bool:
        """Is the calling thread (``ident``) one of the debugger's own?  They never park."""
        if ident in self.internal_idents or is_runtime_ident(ident):
            return True
        # Short-lived helpers (a connection's writer) are known by name; not cached, since a
        # finished thread's ident can be reused by a user thread.
        thread = registered_thread(ident)
        return thread is not None and is_runtime_thread_name(thread.name)

    def is_internal_thread(self, ident: int, thread: threading.Thread | None) -> bool:
        if ident in self.internal_idents or is_runtime_ident(ident):
            return True
        return thread is not None and is_runtime_thread_name(thread.name)

    def live(self) -> list[tuple[ThreadState, types.FrameType | None]]:
        """Every user-visible thread with its innermost Python frame, main thread first.

        Threads that have gone are forgotten here (their ids are never reused).
        """
        frames = sys._current_frames()  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
        by_ident = thread_objects()
        result: list[tuple[ThreadState, types.FrameType | None]] = []
        for ident in set(frames) | set(by_ident):
            thread = by_ident.get(ident)
            if self.is_internal_thread(ident, thread):
                continue
            # A thread that is not a threading.Thread (started from C) is shown too.
            ts = self.state_for(ident, thread)
            result.append((ts, frames.get(ident)))
        with self.lock:
            alive = {ts.ident for ts, _ in result} | self.internal_idents | RUNTIME_IDENTS
            for ident in [i for i in self.by_ident if i not in alive]:
                del self.by_ident[ident]
        result.sort(key=lambda item: item[0].id)
        return result

    def names(self) -> dict[int, str]:
        """ident -> thread name for every thread the program and the debugger know, lock-free."""
        names = {ident: t.name for ident, t in thread_objects().items()}
        for ts in list(self.by_ident.values()):
            names.setdefault(ts.ident, ts.name)
        return names

    def poll_changes(self) -> None:
        """Report threads that started or ended since the last look (for DAP ``thread`` events)."""
        report = self.on_change
        if report is None:
            return
        now = {i: t for i, t in thread_objects().items() if not self.is_internal_thread(i, t)}
        known = self._known_threads
        for ident, thread in known.items():
            if now.get(ident) is not thread:
                ts = self.by_ident.get(ident)
                if ts is not None and ts.thread is thread:
                    report("exited", ts)
        for ident, thread in now.items():
            if known.get(ident) is not thread:
                report("started", self.state_for(ident, thread))
        self._known_threads = now
