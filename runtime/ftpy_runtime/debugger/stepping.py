"""When a step is over: the rules for "step in", "step over", "step out" and "stop on entry".

A step (`world.threads.Step`) is set on a thread when the user steps; the debugger asks
`step_finished` on every line that thread reaches, and stops there when it says yes.  Pure
functions of the step and the frame, so they can be checked on real frames without a debugger.
"""

from __future__ import annotations

import types

from ..user_code import is_internal, is_user
from ..world.threads import Step

#: Modules that start and end threads (and, with the runtime itself, the program) around the user's code.
_PLUMBING = ("threading", "runpy")


def step_finished(step: Step, frame: types.FrameType, just_my_code: bool) -> bool:
    """Does reaching a line of ``frame`` finish ``step``?

    Never in code that is not the user's (so stepping into a library call steps over it with
    ``justMyCode``).  "in" and "entry" end at the first such line; "over" on the next line of
    the stepped frame or wherever it returns to; "out" once the stepped frame has returned.
    """
    if not is_user(frame.f_code.co_filename, just_my_code):
        return False
    if step.kind in ("in", "entry"):
        return True
    target = step.frame
    if step.kind == "over" and frame is target:
        return True
    f: types.FrameType | None = frame
    while f is not None:
        if f is target:
            return False  # still inside the frame we are stepping over or out of
        f = f.f_back
    return True


def thread_ending(frame: types.FrameType) -> bool:
    """Is every frame on this stack thread plumbing: threading's own or the runtime's (the
    thread's target has returned, or the main thread's program has and it waits for the others)?"""
    f: types.FrameType | None = frame
    while f is not None:
        if f.f_globals.get("__name__") not in _PLUMBING and not is_internal(f.f_code.co_filename):
            return False
        f = f.f_back
    return True
