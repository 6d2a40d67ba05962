"""Parallel Stacks and Parallel Watch: every thread at once, in one request each.

``threadStacks`` reads every live thread's Python stack (no user code runs) and merges them:
``groups`` are the distinct whole stacks, each with the threads in it (Delve's
``goroutines -group``); ``tree`` merges them by common prefix from the outermost frame, one node
per run of frames that the same threads share (Visual Studio's Parallel Stacks); ``text`` is
the groups as the Debug Console prints them.  Frames are compared by file, function and line.

``parallelEvaluate`` evaluates one expression in the top user frame (or the frame at a chosen
depth) of every thread, each on its own parked thread at the same time, each with the usual
timeout, and answers one row per thread: a value, or the error that thread gave.
"""

from __future__ import annotations

import os
import types
from typing import Any

from ..user_code import is_user
from ..world import freezing
from ..world.parallel_calls import run_many
from ..world.stopping import World
from ..world.threads import ThreadState
from . import variables
from .stacks import frames_of, thread_label
from .variables import Handles

#: At most this many thread names are spelled out in a group's line of the text form.
TEXT_NAMES = 6

FrameKey = tuple[str, str, int]

#: How the text form says a thread's state (a parked thread, "stopped", says nothing).
_STATE_TEXT = {"stopped": "", "frozen": "frozen", "native": "in native code", "not started": "not started",
               "running": "running"}


def _frame_info(frame: types.FrameType, line: int, just_my_code: bool) -> dict[str, Any]:
    code = frame.f_code
    filename = code.co_filename
    out: dict[str, Any] = {"name": code.co_qualname, "line": line, "user": is_user(filename, just_my_code)}
    if filename and not filename.startswith("<"):
        out["path"] = os.path.abspath(filename)
        out["file"] = os.path.basename(filename)
    else:
        out["file"] = filename or "<unknown>"
    return out


def _key(info: dict[str, Any]) -> FrameKey:
    return (str(info.get("path") or info["file"]), str(info["name"]), int(info["line"]))


def _state(world: World, ts: ThreadState, top: types.FrameType | None) -> str:
    if ts.ident == world.exempt and not ts.parked:
        return "running"  # continued (or stepping) alone while the others stay stopped
    if ts.ident in world.frozen and ts.parked:
        return "frozen"
    if ts.parked:
        return "stopped"
    if top is None:
        return "not started"
    return "native"


def thread_stacks(world: World, just_my_code: bool) -> dict[str, Any]:
    """Every thread's stack, grouped; see the module's docstring.  Only while stopped."""
    stop = world.current_stop
    current = stop.thread.id if stop is not None and stop.thread is not None else None
    threads: list[dict[str, Any]] = []
    stacks: dict[int, list[dict[str, Any]]] = {}
    live = world.threads.live()
    freezing.forget_gone(world, {ts.ident for ts, _ in live} | world.threads.internal_idents)
    for ts, top in live:
        frames = [_frame_info(f, line, just_my_code) for f, line in frames_of(world, ts)]
        stacks[ts.id] = frames
        threads.append({
            "id": ts.id,
            "name": ts.name,
            "label": thread_label(world, ts, top),
            "state": _state(world, ts, top),
            "frozen": ts.ident in world.frozen,
            "current": ts.id == current,
        })
    # Groups: the distinct whole stacks (innermost first, as DAP lists frames).
    by_stack: dict[tuple[FrameKey, ...], dict[str, Any]] = {}
    for t in threads:
        frames = stacks[t["id"]]
        key = tuple(_key(f) for f in frames)
        group = by_stack.get(key)
        if group is None:
            group = by_stack[key] = {"frames": frames, "threadIds": []}
        group["threadIds"].append(t["id"])
    groups = sorted(by_stack.values(), key=lambda g: (-len(g["threadIds"]), g["threadIds"][0]))
    body: dict[str, Any] = {
        "threads": threads,
        "currentThreadId": current,
        "groups": groups,
        "tree": _tree(threads, stacks),
    }
    body["text"] = render_text(body)
    return body


def _tree(threads: list[dict[str, Any]], stacks: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The stacks merged by common prefix from the outermost frame.

    Each node: ``{"frames": [outermost..innermost of this run], "threadIds": [...],
    "children": [...]}``; a node's threads are those whose stacks pass through all its frames.
    Threads whose stack ends inside a node are its ``endsHere`` (a leaf thread, in a node that
    also has children).
    """
    root: dict[str, Any] = {"children": {}, "threadIds": [], "frames": [], "endsHere": []}
    for t in threads:
        node = root
        for info in reversed(stacks[t["id"]]):
            key = _key(info)
            children: dict[FrameKey, dict[str, Any]] = node["children"]
            child = children.get(key)
            if child is None:
                child = children[key] = {"children": {}, "threadIds": [], "frames": [info], "endsHere": []}
            child["threadIds"].append(t["id"])
            node = child
        node["endsHere"].append(t["id"])
    roots = [_compress(c) for c in root["children"].values()]
    return sorted(roots, key=lambda c: (-len(c["threadIds"]), c["threadIds"][0]))


def _compress(node: dict[str, Any]) -> dict[str, Any]:
    frames = list(node["frames"])
    while len(node["children"]) == 1 and not node["endsHere"]:
        (only,) = node["children"].values()
        frames.extend(only["frames"])
        node = {**only, "threadIds": node["threadIds"]}
    children = sorted((_compress(c) for c in node["children"].values()), key=lambda c: (-len(c["threadIds"]), c["threadIds"][0]))
    return {"frames": frames, "threadIds": list(node["threadIds"]), "endsHere": list(node["endsHere"]), "children": children}


def render_text(body: dict[str, Any]) -> str:
    """The groups as text, one block per distinct stack (``ftpy threads --group``)."""
    names = {t["id"]: t for t in body["threads"]}
    groups: list[dict[str, Any]] = body["groups"]
    lines = [f"{len(names)} thread{'s' if len(names) != 1 else ''} in {len(groups)} distinct stack{'s' if len(groups) != 1 else ''}"]
    for n, g in enumerate(groups, 1):
        ids: list[int] = g["threadIds"]
        states = {names[i]["state"] for i in ids}
        # One state for the whole group goes in its header; mixed ones go after each name.
        common = _STATE_TEXT.get(next(iter(states)), "") if len(states) == 1 else ""
        shown: list[str] = []
        for i in ids[:TEXT_NAMES]:
            t = names[i]
            mark = "*" if t["current"] else ""
            extra = f" ({_STATE_TEXT[t['state']]})" if len(states) > 1 and _STATE_TEXT.get(t["state"]) else ""
            shown.append(f"{mark}{t['name']} [{i}]{extra}")
        more = f" … and {len(ids) - TEXT_NAMES} more" if len(ids) > TEXT_NAMES else ""
        header = f"Group {n}: {len(ids)} thread{'s' if len(ids) != 1 else ''}{f' ({common})' if common else ''}"
        lines.append(f"{header}: {', '.join(shown)}{more}")
        if not g["frames"]:
            lines.append("    (no Python frames)")
        for depth, f in enumerate(g["frames"]):
            where = f.get("path") or f["file"]
            lines.append(f"    #{depth} {f['name']} at {where}:{f['line']}")
    return "\n".join(lines)


# -- Parallel Watch ---------------------------------------------------------------------------


def _chosen_frame(frames: list[tuple[types.FrameType, int]], depth: int | None,
                  just_my_code: bool) -> tuple[int, types.FrameType, int] | str:
    """(depth, frame, line) to evaluate in, or why there is none."""
    if not frames:
        return "no Python frame"
    if depth is not None:
        if depth < 0 or depth >= len(frames):
            return f"no frame at depth {depth} (the stack has {len(frames)})"
        return (depth, *frames[depth])
    for i, (f, line) in enumerate(frames):
        if is_user(f.f_code.co_filename, just_my_code):
            return (i, f, line)
    return (0, *frames[0])


def parallel_evaluate(world: World, handles: Handles, expression: str, depth: int | None,
                      just_my_code: bool, timeout: float, thread_ids: list[int] | None = None) -> dict[str, Any]:
    """One row per thread: ``{"threadId", "name", "frame", "result"/"type"/"variablesReference"
    or "error"}``."""
    code = compile(expression, "<ftpy-eval>", "eval")  # a SyntaxError is the request's error
    rows: list[dict[str, Any]] = []
    jobs: list[tuple[ThreadState, Any]] = []
    job_rows: list[dict[str, Any]] = []
    for ts, _top in world.threads.live():
        if thread_ids is not None and ts.id not in thread_ids:
            continue
        row: dict[str, Any] = {"threadId": ts.id, "name": ts.name}
        rows.append(row)
        if ts.ident == world.exempt and not ts.parked:
            row["error"] = "running (continued alone): its frames are not still"
            continue
        chosen = _chosen_frame(frames_of(world, ts), depth, just_my_code)
        if isinstance(chosen, str):
            row["error"] = chosen
            continue
        d, frame, line = chosen
        info = _frame_info(frame, line, just_my_code)
        info["depth"] = d
        info["id"] = handles.frame_id(ts, frame, line)
        row["frame"] = info

        def job(frame: types.FrameType = frame) -> dict[str, Any]:
            value = eval(code, frame.f_globals, frame.f_locals)
            return variables.describe(handles, expression, value, expression)

        jobs.append((ts, job))
        job_rows.append(row)
    for row, (ok, value) in zip(job_rows, run_many(world, jobs, timeout), strict=True):
        if ok:
            row["result"] = value["value"]
            row["type"] = value["type"]
            row["variablesReference"] = value["variablesReference"]
        else:
            row["error"] = f"{type(value).__name__}: {value}"
    return {"expression": expression, "rows": rows}
