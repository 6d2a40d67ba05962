"""Stopping every Python thread, and letting them go again.

The protocol, in one place:

* A stop is *requested* (a breakpoint, a finished step, an exception, or ``pause`` from the
  adapter).  The requester flips ``stop_requested`` and turns on the backend's global events,
  so every thread running Python reaches a callback within a line or a jump.
* A thread that reaches a callback while a stop is requested *parks*: it records its frame and
  waits on its own inbox.  Parked threads are where user code runs while stopped (evaluate,
  ``__repr__``): the agent posts work into the inbox and waits for the answer with a timeout.
* The *coordinator* thread waits until every thread is parked or is plainly in native code
  (its innermost Python frame has not moved for several samples of ``sys._current_frames()``),
  and only then reports the stop.  A thread in native code parks when it comes back to Python,
  because the global events stay on while the world is stopped.
* ``resume_all`` clears the request and puts a RESUME in every parked thread's inbox.
  ``resume_for_step`` lets one thread go while the others stay parked.

Everything shared is guarded by one lock that is only taken on these slow paths, never held
while waiting on the socket or on user code.

"""

from __future__ import annotations

import _thread
import _queue
import ctypes
import os
import queue
import sys
import threading
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable

from ftpy_runtime.user_code import is_internal

#: How long ``sys._current_frames()`` must show a thread's frame unchanged before we call it "in
#: native code", in samples, and the pause between samples.
NATIVE_SAMPLES = 3
SAMPLE_INTERVAL = 0.002
#: The most the coordinator waits for stragglers before it reports the stop anyway.
PARK_DEADLINE = 2.0
#: How often the coordinator looks for threads that started or ended, when it has nothing to do.
THREAD_POLL_INTERVAL = 0.5


class EvalInterrupted(BaseException):
    """Raised asynchronously into a thread whose evaluation outlived its timeout."""


class EvalTimeout(Exception):
    pass


RESUME = object()
#: FTPY_TIMING=1 prints when stops are requested, resumed and reported (for tuning, on stderr).
_TIMING = bool(os.environ.get("FTPY_TIMING"))


@dataclass
class Step:
    kind: str  # "in", "over", "out" or "entry"
    frame: types.FrameType | None


@dataclass
class StopInfo:
    reason: str
    thread: "ThreadState | None"
    description: str | None = None
    text: str | None = None
    hit_ids: list[int] = field(default_factory=list)


class ThreadState:
    """What the debugger knows about one Python thread."""

    def __init__(self, ident: int, dap_id: int, thread: threading.Thread | None) -> None:
        self.ident = ident
        self.id = dap_id
        self.thread = thread
        self.frame: types.FrameType | None = None
        self.stack_override: list[tuple[types.FrameType, int]] | None = None
        self.inbox: _queue.SimpleQueue[Any] = _queue.SimpleQueue()
        self.parked = False
        self.busy = False
        self.step: Step | None = None
        self.exception: dict[str, Any] | None = None
        #: The last exception reported with the "raised" filter (each is reported once).
        self.last_raised: BaseException | None = None

    @property
    def name(self) -> str:
        return self.thread.name if self.thread is not None else f"Thread-{self.ident}"


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = [ctypes.c_ulong, ctypes.py_object]
_clear_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
)


class Work:
    """A piece of user code to run on a parked thread, with a way to give up on it."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.reply: _queue.SimpleQueue[tuple[bool, Any]] = _queue.SimpleQueue()
        self.lock = _thread.allocate_lock()
        self.state = "queued"  # queued -> running -> done, or queued -> abandoned
        self.interrupted = False

    def run(self, ts: ThreadState) -> None:
        with self.lock:
            if self.state == "abandoned":
                return
            self.state = "running"
        try:
            result: tuple[bool, Any] = (True, self.fn())
        except BaseException as exc:  # noqa: BLE001 - user code may raise anything, SystemExit included
            result = (False, exc)
        finally:
            with self.lock:
                self.state = "done"
                if self.interrupted:
                    _clear_async_exc(ts.ident, None)
        self.reply.put(result)

    def give_up(self, ident: int) -> None:
        """The caller stopped waiting: stop the code if it is still running Python."""
        with self.lock:
            if self.state == "queued":
                self.state = "abandoned"
            elif self.state == "running":
                self.interrupted = True
                _set_async_exc(ident, EvalInterrupted)


def thread_objects() -> dict[int, threading.Thread]:
    """ident -> Thread for every started thread, without taking threading's lock.

    ``threading.enumerate()`` takes ``_active_limbo_lock``, and a parked thread may be holding it
    (it is parked wherever it reached a line, ``Thread._delete`` included).  The debugger's own
    threads must never wait on a lock a parked thread can hold, so read the registry directly.
    """
    active = getattr(threading, "_active", None)
    if not isinstance(active, dict):
        return {t.ident: t for t in threading.enumerate() if t.ident is not None}
    return {ident: t for ident, t in active.copy().items()}


def registered_thread(ident: int) -> threading.Thread | None:
    """The Thread object for ``ident`` if threading has registered it; no side effects, no lock."""
    active = getattr(threading, "_active", None)
    if isinstance(active, dict):
        return active.get(ident)
    return None


class World:
    def __init__(
        self,
        set_global_events: Callable[[bool], None],
        on_stopped: Callable[[StopInfo], None],
        on_resumed: Callable[[], None],
    ) -> None:
        self._set_global_events = set_global_events
        self._on_stopped = on_stopped
        self._on_resumed = on_resumed
        self.lock = _thread.allocate_lock()
        #: False while no adapter is attached: nothing may stop the world then.
        self.enabled = True
        self.stop_requested = False
        self.exempt: int | None = None
        self.stopped = False
        self.generation = 0
        self.current_stop: StopInfo | None = None
        self.parked: dict[int, ThreadState] = {}
        self.threads: dict[int, ThreadState] = {}
        self.internal_idents: set[int] = set()
        self._native_keys: dict[int, tuple[int, int]] = {}
        self._next_id = 1
        self._jobs: _queue.SimpleQueue[tuple[int, StopInfo] | None] = _queue.SimpleQueue()
        #: Called with (reason, thread) when a thread appears or goes away ("started"/"exited").
        self.on_thread_change: Callable[[str, ThreadState], None] | None = None
        self._known_threads: dict[int, threading.Thread] = {}
        self._coordinator = threading.Thread(target=self._coordinate_forever, name="ftpy-coordinator", daemon=True)

    def start(self) -> None:
        self._coordinator.start()
        self.internal_idents.add(self._coordinator.ident or 0)

    # Thread bookkeeping.

    def state_for(self, ident: int, thread: threading.Thread | None = None) -> ThreadState:
        ts = self.threads.get(ident)
        if ts is not None and (thread is None or ts.thread is thread or ts.thread is None):
            if ts.thread is None and thread is not None:
                ts.thread = thread
            return ts
        with self.lock:
            ts = self.threads.get(ident)
            if ts is None or (thread is not None and ts.thread is not None and ts.thread is not thread):
                ts = ThreadState(ident, self._next_id, thread)
                self._next_id += 1
                self.threads[ident] = ts
            return ts

    def current(self) -> ThreadState:
        """The calling thread's state.  Never ``threading.current_thread()`` here: for a thread
        that is not registered (yet, or any more) it would create a ``_DummyThread`` from inside
        a tracing callback."""
        ident = threading.get_ident()
        ts = self.threads.get(ident)
        if ts is None:
            ts = self.state_for(ident, registered_thread(ident))
        return ts

    def by_id(self, dap_id: int) -> ThreadState | None:
        for ts in list(self.threads.values()):
            if ts.id == dap_id:
                return ts
        return None

    def is_internal_ident(self, ident: int) -> bool:
        """Is the calling thread (``ident``) one of the debugger's own?  They never park."""
        if ident in self.internal_idents:
            return True
        # Short-lived helpers (a connection's writer) are known by name; not cached, since a
        # finished thread's ident can be reused by a user thread.
        thread = registered_thread(ident)
        return thread is not None and thread.name.startswith("ftpy-")

    def is_internal_thread(self, ident: int, thread: threading.Thread | None) -> bool:
        if ident in self.internal_idents:
            return True
        return thread is not None and thread.name.startswith("ftpy-")

    def live_threads(self) -> list[tuple[ThreadState, types.FrameType | None]]:
        """Every user-visible thread with its innermost Python frame, main thread first."""
        frames = sys._current_frames()
        by_ident = thread_objects()
        result = []
        for ident in set(frames) | set(by_ident):
            thread = by_ident.get(ident)
            if self.is_internal_thread(ident, thread):
                continue
            if thread is None and ident not in self.threads:
                # A thread that is not a threading.Thread (started from C): show it anyway.
                pass
            ts = self.state_for(ident, thread)
            result.append((ts, frames.get(ident)))
        with self.lock:
            alive = {ts.ident for ts, _ in result} | self.internal_idents
            for ident in [i for i in self.threads if i not in alive]:
                del self.threads[ident]
        result.sort(key=lambda item: item[0].id)
        return result

    # Stopping.

    def request_stop(self, ts: ThreadState | None, info: StopInfo) -> bool:
        """Start a stop.  False if another stop is under way (the caller should park and retry)."""
        with self.lock:
            if not self.enabled:
                return True  # detached: a stop that was on its way is dropped
            if self.stop_requested:
                if ts is None and self.exempt is None:
                    return True  # pause while already stopping/stopped: nothing more to do
                if ts is not None and self.exempt != ts.ident:
                    return False
            self.stop_requested = True
            self.exempt = None
            self.stopped = False
            self.generation += 1
            gen = self.generation
            self.current_stop = info
            for other in self.threads.values():
                other.step = None
            self._set_global_events(True)
        if _TIMING:
            sys.__stderr__.write(f"ftpy-timing: request_stop at {time.monotonic()*1000:.1f}\n")
        self._jobs.put((gen, info))
        return True

    def park(self, ts: ThreadState, frame: types.FrameType | None,
             stack_override: list[tuple[types.FrameType, int]] | None = None) -> None:
        """Wait here, serving evaluation requests, until resumed.  No-op if no stop is requested."""
        with self.lock:
            if not self.stop_requested or ts.ident == self.exempt:
                return
            ts.frame = frame
            ts.stack_override = stack_override
            ts.parked = True
            self.parked[ts.ident] = ts
        inbox = ts.inbox
        while True:
            try:
                item = inbox.get()
                if item is RESUME:
                    break
                item.run(ts)
                ts.busy = False
            except EvalInterrupted:
                ts.busy = False
                continue
        ts.frame = None
        ts.stack_override = None

    def _release(self, woken: list[ThreadState]) -> None:
        for ts in woken:
            ts.parked = False
            ts.inbox.put(RESUME)

    def resume_all(self) -> None:
        if _TIMING:
            sys.__stderr__.write(f"ftpy-timing: resume_all at {time.monotonic()*1000:.1f}\n")
        with self.lock:
            self.generation += 1
            self.stop_requested = False
            self.exempt = None
            self.stopped = False
            self.current_stop = None
            woken = list(self.parked.values())
            self.parked.clear()
            stepping = any(ts.step is not None for ts in self.threads.values())
            self._set_global_events(stepping)
            self._on_resumed()
            self._release(woken)

    def resume_for_step(self, ts: ThreadState, step: Step, single_thread: bool) -> None:
        if not single_thread:
            with self.lock:
                ts.step = step
            self.resume_all()
            return
        with self.lock:
            ts.step = step
            self.generation += 1
            self.exempt = ts.ident
            self.stopped = False
            self.current_stop = None
            self.parked.pop(ts.ident, None)
            self._on_resumed()
            self._release([ts])

    def clear_all(self) -> None:
        """Forget every step and let everyone go (disconnect)."""
        with self.lock:
            self.enabled = False
            for ts in self.threads.values():
                ts.step = None
        self.resume_all()

    # User code on parked threads.

    def run_on(self, preferred: ThreadState | None, fn: Callable[[], Any], timeout: float) -> Any:
        """Run ``fn`` on a parked thread (``preferred`` if it is free) and return its result.

        Raises EvalTimeout if it takes longer than ``timeout``, and re-raises what ``fn`` raised.
        """
        deadline = time.monotonic() + timeout
        while True:
            target = self._claim(preferred)
            if target is not None:
                break
            if time.monotonic() > deadline:
                raise EvalTimeout(
                    "no stopped thread is free to run the evaluation (an earlier one is still running)"
                )
            time.sleep(0.01)
        work = Work(fn)
        target.inbox.put(work)
        try:
            ok, value = work.reply.get(timeout=max(0.05, deadline - time.monotonic()))
        except queue.Empty:
            work.give_up(target.ident)
            try:
                work.reply.get(timeout=1.0)  # an interrupted loop ends within moments
            except queue.Empty:
                pass
            raise EvalTimeout(
                f"gave up after {timeout:g} s: the expression (or a __repr__ it called) did not return; "
                f"it was interrupted if it was running Python code"
            ) from None
        if ok:
            return value
        raise value

    def _claim(self, preferred: ThreadState | None) -> ThreadState | None:
        """A parked, idle thread to run user code on, marked busy; None if there is none right now."""
        with self.lock:
            if not self.stop_requested:
                raise EvalTimeout("the program is running; pause it first")
            candidates = [preferred] if preferred is not None and preferred.parked else []
            candidates += sorted(self.parked.values(), key=lambda t: t.id)
            for ts in candidates:
                if ts.parked and not ts.busy:
                    ts.busy = True
                    return ts
            return None

    # The coordinator.

    def _coordinate_forever(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=THREAD_POLL_INTERVAL)
            except queue.Empty:
                self._poll_threads()
                continue
            if job is None:
                return
            try:
                self._coordinate(*job)
            except Exception as exc:  # the coordinator must survive anything
                sys.__stderr__.write(f"ftpy: internal error while stopping: {exc!r}\n")

    def _coordinate(self, gen: int, info: StopInfo) -> None:
        t_start = time.monotonic()
        loops = 0
        deadline = t_start + PARK_DEADLINE
        seen: dict[int, tuple[tuple[int, int], int]] = {}
        while True:
            with self.lock:
                if self.generation != gen:
                    return
                parked = set(self.parked)
            frames = sys._current_frames()
            threads = thread_objects()
            pending = 0
            for ident, frame in frames.items():
                if ident in parked or self.is_internal_thread(ident, threads.get(ident)):
                    continue
                key = (id(frame), frame.f_lasti)
                if self._native_keys.get(ident) == key:
                    continue
                prev = seen.get(ident)
                count = prev[1] + 1 if prev is not None and prev[0] == key else 0
                seen[ident] = (key, count)
                if count >= NATIVE_SAMPLES and not is_internal(frame.f_code.co_filename):
                    self._native_keys[ident] = key
                    continue
                if count >= NATIVE_SAMPLES * 10:
                    continue  # stuck in our own code (waiting on a lock): give up on it
                pending += 1
            for ident in [i for i in self._native_keys if i not in frames]:
                del self._native_keys[ident]
            del frames
            loops += 1
            if pending == 0 or time.monotonic() > deadline:
                break
            time.sleep(SAMPLE_INTERVAL)
        if _TIMING:
            sys.__stderr__.write(f"ftpy-timing: coordinate {1000 * (time.monotonic() - t_start):.1f} ms, {loops} samples, at {time.monotonic()*1000:.1f}\n")
        with self.lock:
            if self.generation != gen:
                return
            self.stopped = True
            if info.thread is None:
                info.thread = self._pick_pause_thread()
        self._on_stopped(info)

    def _poll_threads(self) -> None:
        """Report threads that started or ended since the last look (for DAP ``thread`` events)."""
        report = self.on_thread_change
        if report is None:
            return
        now = {i: t for i, t in thread_objects().items() if not self.is_internal_thread(i, t)}
        known = self._known_threads
        for ident, thread in known.items():
            if now.get(ident) is not thread:
                ts = self.threads.get(ident)
                if ts is not None and ts.thread is thread:
                    report("exited", ts)
        for ident, thread in now.items():
            if known.get(ident) is not thread:
                report("started", self.state_for(ident, thread))
        self._known_threads = now

    def _pick_pause_thread(self) -> ThreadState | None:
        """For a pause: the first parked thread in user code, else the main thread."""
        for ts in sorted(self.parked.values(), key=lambda t: t.id):
            if ts.frame is not None:
                return ts
        main = threading.main_thread()
        return self.threads.get(main.ident or 0) or next(iter(self.threads.values()), None)
