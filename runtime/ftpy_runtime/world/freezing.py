"""Freezing threads: a frozen thread stays parked through every continue until it is thawed.

Visual Studio's Threads window has Freeze/Thaw; no Python debugger had.  The state is one set
of idents on the `World` (``world.frozen``), read by ``World.resume_all``, which leaves frozen
threads in their inbox.  A thread frozen while it is not parked (it is in native code while the
world is stopped) is held as soon as it parks: the global events stay on while the world is
stopped, so it parks when it is back in Python, and the next resume leaves it there.

While the world runs, a frozen thread is still parked (in ``world.parked``): the next stop
counts it as stopped, and evaluations run on it as on any parked thread.  Thawing it while the
world runs lets it go at once; while the world is stopped, at the next continue.
"""

from __future__ import annotations

from .stopping import RESUME, World
from .threads import ThreadState


def freeze(world: World, ts: ThreadState) -> None:
    with world.lock:
        world.frozen.add(ts.ident)


def thaw(world: World, ts: ThreadState) -> None:
    """Thaw ``ts``; if the world is running and it is held, it goes on now."""
    with world.lock:
        world.frozen.discard(ts.ident)
        if world.stop_requested or not ts.parked:
            return
        world.parked.pop(ts.ident, None)
        ts.parked = False
        ts.inbox.put(RESUME)


def is_frozen(world: World, ts: ThreadState) -> bool:
    return ts.ident in world.frozen


def forget_gone(world: World, alive: set[int]) -> None:
    """Drop frozen idents of threads that have ended (an ident can be reused by a new thread)."""
    with world.lock:
        world.frozen.intersection_update(alive)
