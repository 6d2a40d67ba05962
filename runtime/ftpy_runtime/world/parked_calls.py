"""Running user code on a parked thread: evaluations, ``__repr__``, conditions of the agent's.

The agent never runs user code itself.  It wraps the code in a `Work`, posts it into a parked
thread's inbox (the frame's own thread when it is free), and waits for the answer with a
timeout.  Code that outlives the timeout is interrupted with an asynchronous `EvalInterrupted`
if it is running Python; a ``__repr__`` that never returns costs the user one error message,
never the session.
"""

from __future__ import annotations

import _queue
import _thread
import ctypes
import queue
import time
from collections.abc import Callable
from typing import Any

from .stopping import EvalInterrupted, World
from .threads import ThreadState


class EvalTimeout(Exception):
    """No parked thread could run the code in time, or it did not return in time."""


#: When no thread at all is parked (every one is in native code), how long an evaluation waits for
#: one to come back to Python and park: a thread only passing through C (a short sleep) does
#: within moments; one blocked there (a lock, a join, a deadlock) may never. Waiting out the whole
#: timeout instead held up every request after it (the agent answers in order), ``threads`` and
#: ``stackTrace`` for the stop included: VS Code then showed a stopped program as running.
PARK_GRACE = 0.2
NO_PARKED_THREAD = "every thread is in native code: none is stopped in Python to run the evaluation on"


#: ``PyThreadState_SetAsyncExc(ident, exc_type)``: raise `exc_type` in thread `ident` when it next
#: runs Python code.  The one binding of it: evaluation timeouts here, the Locals watchdog
#: (views/variables.py) and deferred Ctrl-C (runner/launch.py) all use it.
set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
set_async_exc.argtypes = [ctypes.c_ulong, ctypes.py_object]
#: The same C function with a NULL exception: takes back one that has not been delivered yet.
clear_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
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
                    clear_async_exc(ts.ident, None)
        self.reply.put(result)

    def give_up(self, ident: int) -> None:
        """The caller stopped waiting: stop the code if it is still running Python."""
        with self.lock:
            if self.state == "queued":
                self.state = "abandoned"
            elif self.state == "running":
                self.interrupted = True
                set_async_exc(ident, EvalInterrupted)


def run_on(world: World, preferred: ThreadState | None, fn: Callable[[], Any], timeout: float,
           park_by: float | None = None) -> Any:
    """Run ``fn`` on a parked thread (``preferred`` if it is free) and return its result.

    Raises EvalTimeout if it takes longer than ``timeout``, or if no thread is parked at all by
    ``park_by`` (a `time.monotonic` moment; `PARK_GRACE` from now by default), and re-raises
    what ``fn`` raised.
    """
    now = time.monotonic()
    deadline = now + timeout
    if park_by is None:
        park_by = now + PARK_GRACE
    while True:
        target = _claim(world, preferred)
        if target is not None:
            break
        now = time.monotonic()
        if now > deadline:
            raise EvalTimeout(
                "no stopped thread is free to run the evaluation (an earlier one is still running)"
            )
        if now >= park_by and not world.parked:
            raise EvalTimeout(NO_PARKED_THREAD)
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


def _claim(world: World, preferred: ThreadState | None) -> ThreadState | None:
    """A parked, idle thread to run user code on, marked busy; None if there is none right now."""
    with world.lock:
        if not world.stop_requested:
            raise EvalTimeout("the program is running; pause it first")
        candidates = [preferred] if preferred is not None and preferred.parked else []
        candidates += sorted(world.parked.values(), key=lambda t: t.id)
        for ts in candidates:
            if ts.parked and not ts.busy:
                ts.busy = True
                return ts
        return None

