"""Running one piece of user code on many parked threads at once (Parallel Watch).

`parked_calls.run_on` runs one function on one parked thread and waits for it.  Here each job
goes into its own thread's inbox at the same time, so N evaluations cost the slowest one, not
their sum, and each still has its own timeout (they all start together, so one deadline serves
them all).  A job whose thread is not parked (it is in native code) or is busy runs afterwards
through `run_on`, on whichever parked thread is free, with its own timeout; when no thread is
parked at all, they share one short wait for one to park (`PARK_GRACE`), not one each.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Any

from .parked_calls import PARK_GRACE, EvalTimeout, Work, run_on
from .stopping import World
from .threads import ThreadState

#: One job's outcome: (True, value) or (False, the exception it raised, EvalTimeout included).
Outcome = tuple[bool, Any]


def run_many(world: World, jobs: list[tuple[ThreadState, Callable[[], Any]]], timeout: float) -> list[Outcome]:
    """Run each ``fn`` on its own thread when that thread is parked and free; the outcomes in order."""
    outcomes: list[Outcome | None] = [None] * len(jobs)
    posted: list[tuple[int, ThreadState, Work]] = []
    later: list[int] = []
    with world.lock:
        if not world.stop_requested:
            raise EvalTimeout("the program is running; pause it first")
        for i, (ts, fn) in enumerate(jobs):
            if ts.parked and not ts.busy and world.parked.get(ts.ident) is ts:
                ts.busy = True
                posted.append((i, ts, Work(fn)))
            else:
                later.append(i)
    for _, ts, work in posted:
        ts.inbox.put(work)
    deadline = time.monotonic() + timeout
    gave_up: list[Work] = []
    for i, ts, work in posted:
        try:
            outcomes[i] = work.reply.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            work.give_up(ts.ident)
            gave_up.append(work)
            outcomes[i] = (False, EvalTimeout(
                f"gave up after {timeout:g} s: the expression (or a __repr__ it called) did not return; "
                "it was interrupted if it was running Python code"))
    # An interrupted loop ends within moments: wait for it, so the thread is free again.
    for work in gave_up:
        try:
            work.reply.get(timeout=1.0)
        except queue.Empty:
            pass
    park_by = time.monotonic() + PARK_GRACE
    for i in later:
        ts, fn = jobs[i]
        try:
            outcomes[i] = (True, run_on(world, ts, fn, timeout, park_by))
        except BaseException as exc:  # noqa: BLE001 - user code may raise anything
            outcomes[i] = (False, exc)
    return [o if o is not None else (False, EvalTimeout("not run")) for o in outcomes]
