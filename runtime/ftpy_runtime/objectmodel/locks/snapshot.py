"""Which tracked locks are held, and which threads wait for what: a snapshot, taken on demand.

Held locks are found by scanning `gc.get_objects` (which stops the world in free-threaded
builds) for tracked locks; waiting threads by looking for the wait functions' frames in
``sys._current_frames()`` and reading the lock from the frame's locals.  Nothing is recorded
anywhere until somebody asks.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from types import FrameType
from typing import Any, cast

from ...user_code import is_runtime_file, thread_objects
from .tracked import THIS_FILE, WAIT_CODES, TrackedLock, TrackedRLock, installed, lock_state

_CONDITION_WAIT_CODES = {threading.Condition.wait.__code__, threading.Condition.wait_for.__code__}


Tracked = TrackedLock | TrackedRLock


def _is_ours(lock: Tracked) -> bool:
    """Was `lock` made by the debugger's runtime rather than the program?"""
    return is_runtime_file(lock_state(lock).file)


def _lock_info(lock: Tracked) -> dict[str, Any]:
    state = lock_state(lock)
    return {
        "id": f"{id(lock):#x}",
        "type": state.kind,
        "locked": state.locked,
        "created": {"file": state.file, "line": state.line},
    }


def _thread_ref(ident: int | None, names: dict[int, str]) -> dict[str, Any] | None:
    if not ident:
        return None
    return {"id": ident, "name": names.get(ident, f"thread {ident}")}


def frame_stack(frame: FrameType | None) -> list[dict[str, Any]]:
    """Frames innermost first, leaving out the tracked-lock wrappers' own (``tracked.py``)."""
    out: list[dict[str, Any]] = []
    while frame is not None:
        code = frame.f_code
        if os.path.normcase(os.path.abspath(code.co_filename)) != THIS_FILE:
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


def _waiting_for(frame: FrameType | None) -> tuple[str, Any]:
    """("lock", lock) or ("condition", cond) or ("", None) for a thread's innermost frame."""
    f = frame
    while f is not None:
        code = f.f_code
        if code in WAIT_CODES:
            return "lock", f.f_locals.get("lock")
        if code in _CONDITION_WAIT_CODES:
            return "condition", f.f_locals.get("self")
        f = f.f_back
    return "", None


def _thread_names() -> dict[int, str]:
    """ident -> name for every thread threading knows, without taking its lock (while a
    debugger has stopped the world, a parked thread may hold it; see `thread_objects`)."""
    return {ident: t.name for ident, t in thread_objects().items()}


def anyone_waiting(frames: dict[int, FrameType]) -> bool:
    """Is some thread in `frames` blocked acquiring a tracked lock?

    Cheap (a walk up each stack, no heap scan): a debugger can call it on
    every stop and take a full `snapshot` only when it says yes.
    """
    return any(_waiting_for(f)[0] == "lock" for f in frames.values())


def snapshot(
    frames: dict[int, FrameType] | None = None,
    thread_names: dict[int, str] | None = None,
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
        frames = sys._current_frames()  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
    if thread_names is None:
        thread_names = _thread_names()
    # The debugger's own locks (made in the runtime) are not the program's business.
    # (``type(o) in`` rather than isinstance: TrackedLock's isinstance is true of plain locks
    # too, and a Python-level check per heap object would slow the scan down.)
    tracked: tuple[type, ...] = (TrackedLock, TrackedRLock)
    candidates = cast(list[Tracked], [o for o in gc.get_objects() if type(o) in tracked])
    locks = [lock for lock in candidates if not _is_ours(lock)]

    held: list[dict[str, Any]] = []
    for lock in locks:
        state = lock_state(lock)
        if not state.locked:
            continue
        held.append({"lock": _lock_info(lock), "owner": _thread_ref(state.owner, thread_names), "count": state.times})

    waiting: list[dict[str, Any]] = []
    for ident, frame in frames.items():
        kind, target = _waiting_for(frame)
        if not kind or target is None or (kind == "lock" and _is_ours(target)):
            continue
        entry: dict[str, Any] = {
            "thread": _thread_ref(ident, thread_names) or {"id": ident, "name": f"thread {ident}"},
            "kind": kind,
            "stack": frame_stack(frame),
        }
        if kind == "lock":
            entry["lock"] = _lock_info(target)
            entry["owner"] = _thread_ref(lock_state(target).owner, thread_names)
        else:
            entry["condition"] = f"{id(target):#x}"
        waiting.append(entry)
    return {"installed": installed(), "held": held, "waiting": waiting}


