"""Threads, stacks and scopes, as the DAP wants them.  No user code runs here."""

from __future__ import annotations

import os
import sys
import types
from typing import Any

from ..user_code import is_internal, is_user
from ..world.stopping import World
from ..world.threads import ThreadState
from . import model_views
from .variables import Handles, Scope


def thread_label(world: World, ts: ThreadState, frame: types.FrameType | None) -> str:
    """The name the client shows: where the thread is, said plainly, while the world is stopped."""
    name = ts.name
    if ts.ident in world.frozen:
        name = f"{name} (frozen)"
    if not world.stop_requested:
        return name
    if ts.parked:
        return name
    if frame is None:
        return f"{name} (not started)"
    return f"{name} (in native code)"


def threads(world: World) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for ts, frame in world.threads.live():
        out.append({"id": ts.id, "name": thread_label(world, ts, frame)})
    return {"threads": out}


def frames_of(world: World, ts: ThreadState) -> list[tuple[types.FrameType, int]]:
    """The thread's Python frames, innermost first, with the runtime's own frames left out."""
    if ts.stack_override is not None:
        return list(ts.stack_override)
    top = ts.frame
    if top is None or not ts.parked:
        top = sys._current_frames().get(ts.ident)  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
    out: list[tuple[types.FrameType, int]] = []
    f = top
    while f is not None:
        if not is_internal(f.f_code.co_filename):
            out.append((f, f.f_lineno or f.f_code.co_firstlineno))
        f = f.f_back
    return out


def stack_trace(world: World, handles: Handles, ts: ThreadState, start: int, levels: int,
                just_my_code: bool) -> dict[str, Any]:
    frames = frames_of(world, ts)
    chosen = frames[start:] if levels <= 0 else frames[start:start + levels]
    out: list[dict[str, Any]] = []
    for frame, line in chosen:
        code = frame.f_code
        filename = code.co_filename
        sf: dict[str, Any] = {
            "id": handles.frame_id(ts, frame, line),
            "name": code.co_qualname,
            "line": line,
            "column": 1,
        }
        if filename and not filename.startswith("<"):
            sf["source"] = {"name": os.path.basename(filename), "path": os.path.abspath(filename)}
        else:
            sf["source"] = {"name": filename or "<unknown>"}
            sf["presentationHint"] = "label"
        if not is_user(filename, just_my_code):
            sf["presentationHint"] = "subtle"
        out.append(sf)
    return {"stackFrames": out, "totalFrames": len(frames)}


def scopes(handles: Handles, frame: types.FrameType) -> dict[str, Any]:
    result = [{
        "name": "Locals",
        "presentationHint": "locals",
        "variablesReference": handles.add(Scope(frame, "locals")),
        "expensive": False,
    }]
    result.append({
        "name": "Globals",
        "variablesReference": handles.add(Scope(frame, "globals")),
        "expensive": False,
    })
    # The same two whole-program views in every frame: each expansion scans the heap.
    result.append({
        "name": model_views.OWNERSHIP_SCOPE,
        "variablesReference": handles.add(model_views.OwnershipView()),
        "expensive": True,
    })
    result.append({
        "name": model_views.LOCKS_SCOPE,
        "variablesReference": handles.add(model_views.LocksView()),
        "expensive": True,
    })
    return {"scopes": result}
