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
* Threads that started or ended are found by a poll (``THREAD_POLL_INTERVAL``), announced as DAP
  ``thread`` events: never while a stop is requested, and once just before a stop is reported.
  ``resume_for_step`` lets one thread go while the others stay parked.

Everything shared is guarded by one lock (the thread registry's, `threads.ThreadRegistry.lock`)
that is only taken on these slow paths, never held while waiting on the socket or on user code.

The thread registry is in ``threads.py``; running user code on a parked thread (the inbox's
work, with its timeout) in ``parked_calls.py``.
"""

from __future__ import annotations

import _queue
import os
import queue
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field

from ..user_code import is_internal, start_runtime_thread, thread_objects
from .threads import Step, ThreadRegistry, ThreadState

#: How long ``sys._current_frames()`` must show a thread's frame unchanged before we call it "in
#: native code", in samples, and the pause between samples.
NATIVE_SAMPLES = 3
SAMPLE_INTERVAL = 0.002
#: A thread the OS shows running or waiting for a core (Linux state R) may be Python code that a
#: loaded machine has not scheduled for a few milliseconds: its frame must stay put this many
#: samples (~50 ms) before it is called "in native code".  A thread blocked in C (join, a lock,
#: I/O) sleeps (state S or D) and keeps the short rule.
RUNNABLE_SAMPLES = 25
#: The most the coordinator waits for stragglers before it reports the stop anyway.
PARK_DEADLINE = 2.0
#: How often the coordinator looks for threads that started or ended, when it has nothing to do.
THREAD_POLL_INTERVAL = 0.5


class EvalInterrupted(BaseException):
    """Raised asynchronously into a parked thread whose work outlived its timeout (see
    ``parked_calls.py``); the park loop absorbs it and waits for the next item."""


#: The inbox item that ends parking.
RESUME = None
#: FTPY_TIMING=1 prints when stops are requested, resumed and reported (for tuning, on stderr).
_TIMING = bool(os.environ.get("FTPY_TIMING"))


def _log(line: str) -> None:
    stderr = sys.__stderr__
    if stderr is not None:
        stderr.write(line + "\n")


def _timing(line: str) -> None:
    _log(f"ftpy-timing: {line}")


def runnable(native_id: int | None) -> bool:
    """True when the OS says thread `native_id` of this process is running or waiting for a
    core (Linux /proc state R); False when it sleeps, or where that cannot be read."""
    if native_id is None:
        return False
    try:   # (os, not the builtin open: a program may have replaced that)
        fd = os.open(f"/proc/self/task/{native_id}/stat", os.O_RDONLY)
        try:
            data = os.read(fd, 4096)
        finally:
            os.close(fd)
    except OSError:
        return False
    end = data.rfind(b")")      # the name, in parentheses, may hold anything
    return data[end + 2 : end + 3] == b"R"


@dataclass
class StopInfo:
    """Why the world stops: what the ``stopped`` event will say."""

    reason: str
    thread: ThreadState | None
    description: str | None = None
    text: str | None = None
    hit_ids: list[int] = field(default_factory=lambda: [])


class World:
    """The stop-the-world protocol over one `ThreadRegistry` (``world.threads``)."""

    def __init__(
        self,
        set_global_events: Callable[[bool], None],
        on_stopped: Callable[[StopInfo], None],
        on_resumed: Callable[[], None],
    ) -> None:
        self._set_global_events = set_global_events
        self._on_stopped = on_stopped
        self._on_resumed = on_resumed
        self.threads = ThreadRegistry()
        #: The one lock of the thread world, shared with the registry.
        self.lock = self.threads.lock
        #: False while no adapter is attached: nothing may stop the world then.
        self.enabled = True
        self.stop_requested = False
        self.exempt: int | None = None
        self.stopped = False
        self.generation = 0
        self.current_stop: StopInfo | None = None
        self.parked: dict[int, ThreadState] = {}
        #: Frozen threads (idents): parked ones stay parked through every resume until thawed
        #: (see ``freezing.py``).
        self.frozen: set[int] = set()
        self._native_keys: dict[int, tuple[int, int]] = {}
        self._jobs: _queue.SimpleQueue[tuple[int, StopInfo] | None] = _queue.SimpleQueue()
        self._started = False

    def start(self) -> None:
        """Start the coordinator thread (once; later calls do nothing)."""
        if self._started:
            return
        self._started = True
        start_runtime_thread(self._coordinate_forever)

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
            for other in self.threads.by_ident.values():
                other.step = None
            self._set_global_events(True)
        if _TIMING:
            _timing(f"request_stop at {time.monotonic() * 1000:.1f}")
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
                if item is None:  # RESUME
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
            _timing(f"resume_all at {time.monotonic() * 1000:.1f}")
        with self.lock:
            self.generation += 1
            self.stop_requested = False
            self.exempt = None
            self.stopped = False
            self.current_stop = None
            woken = [ts for ts in self.parked.values() if ts.ident not in self.frozen]
            for ts in woken:
                del self.parked[ts.ident]
            stepping = any(ts.step is not None for ts in self.threads.by_ident.values())
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

    def resume_thread(self, ts: ThreadState) -> None:
        """Continue this thread only: the others stay parked and the stop stays requested (so a
        breakpoint it reaches stops the world again), as a single-thread step does."""
        with self.lock:
            if not ts.parked:
                return
            self.generation += 1
            self.exempt = ts.ident
            self.stopped = False
            self.current_stop = None
            self.frozen.discard(ts.ident)
            self.parked.pop(ts.ident, None)
            self._on_resumed()
            self._release([ts])

    def clear_all(self) -> None:
        """Forget every step and let everyone go (disconnect)."""
        with self.lock:
            self.enabled = False
            self.frozen.clear()
            for ts in self.threads.by_ident.values():
                ts.step = None
        self.resume_all()

    # The coordinator.

    def _coordinate_forever(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=THREAD_POLL_INTERVAL)
            except queue.Empty:
                # Not while stopped: VS Code drops its handling of a thread's stop (the focus, the
                # toolbar's Continue) when a `thread` event for that thread comes meanwhile. New
                # threads are announced just before a stop instead (`_coordinate`), or after it.
                if not self.stop_requested:
                    self.threads.poll_changes()
                continue
            if job is None:
                return
            try:
                self._coordinate(*job)
            except Exception as exc:  # the coordinator must survive anything
                _log(f"ftpy: internal error while stopping: {exc!r}")

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
            frames = sys._current_frames()  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
            threads = thread_objects()
            pending = 0
            for ident, frame in frames.items():
                if ident in parked or self.threads.is_internal_thread(ident, threads.get(ident)):
                    continue
                key = (id(frame), frame.f_lasti)
                if self._native_keys.get(ident) == key:
                    continue
                prev = seen.get(ident)
                count = prev[1] + 1 if prev is not None and prev[0] == key else 0
                seen[ident] = (key, count)
                if count >= NATIVE_SAMPLES and not is_internal(frame.f_code.co_filename) and (
                    count >= RUNNABLE_SAMPLES or not runnable(getattr(threads.get(ident), "native_id", None))
                ):
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
            _timing(f"coordinate {1000 * (time.monotonic() - t_start):.1f} ms, {loops} samples, at {time.monotonic() * 1000:.1f}")
        with self.lock:
            if self.generation != gen:
                return
            self.stopped = True
            if info.thread is None:
                info.thread = self._pick_pause_thread()
        # Threads started since the last poll (the one that stops among them, maybe) are
        # announced before the stop, not during it (see `_coordinate_forever`).
        self.threads.poll_changes()
        self._on_stopped(info)

    def _pick_pause_thread(self) -> ThreadState | None:
        """For a pause: the first parked thread in user code, else the main thread."""
        for ts in sorted(self.parked.values(), key=lambda t: t.id):
            if ts.frame is not None:
                return ts
        return self.threads.main()
