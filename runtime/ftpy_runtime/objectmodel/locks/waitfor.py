"""Deadlocks: cycles in the wait-for graph of tracked locks.

A thread waits for a lock; the lock's owner may itself wait for another lock, and so on.  A
path that comes back to where it started is a deadlock (of one thread: a double lock of a
plain ``Lock``).  The graph comes from a `snapshot.snapshot`; `current_deadlocks` is the cheap
check a debugger can make on every stop.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

from .render import render
from .snapshot import anyone_waiting, frame_stack, snapshot
from .tracked import installed


def find_deadlocks(
    frames: dict[int, FrameType] | None = None,
    thread_names: dict[int, str] | None = None,
    snap: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Cycles in the wait-for graph: threads each waiting for a lock the next one holds.

    Pass `snap` (from `snapshot`) to reuse one, otherwise one is taken from
    `frames` and `thread_names`.  Each deadlock is::

        {"kind": "lock-order-inversion" | "double-lock",
         "threads": [{"id": .., "name": .., "waiting_for": {lock},
                      "holding": [{lock}, ..], "stack": [frames..]}, ..],
         "locks": [{lock}, ..],
         "text": "TSAN-style report"}

    A cycle of one thread ("double-lock") is a thread waiting for a plain
    Lock it acquired itself: a deadlock unless some other thread releases it.
    """
    if snap is None:
        snap = snapshot(frames, thread_names)
    holder_frames = frames if frames is not None else sys._current_frames()  # pyright: ignore[reportPrivateUsage]  # CPython's frame API

    waits: dict[int, dict[str, Any]] = {}
    for w in snap["waiting"]:
        if w["kind"] == "lock" and w.get("owner"):
            waits[w["thread"]["id"]] = w
    holding: dict[int, list[dict[str, Any]]] = {}
    for h in snap["held"]:
        if h["owner"]:
            holding.setdefault(h["owner"]["id"], []).append(h["lock"])

    deadlocks: list[dict[str, Any]] = []
    seen: set[int] = set()
    for start in waits:
        if start in seen:
            continue
        path: list[int] = []
        on_path: dict[int, int] = {}
        node: int | None = start
        while node is not None and node in waits and node not in seen and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = waits[node]["owner"]["id"]
        if node is not None and node in on_path:
            cycle = path[on_path[node] :]
            threads: list[dict[str, Any]] = []
            for ident in cycle:
                w = waits[ident]
                stack = w["stack"]
                if not stack and ident in holder_frames:
                    stack = frame_stack(holder_frames[ident])
                threads.append(
                    {
                        "id": ident,
                        "name": w["thread"]["name"],
                        "waiting_for": w["lock"],
                        "holding": holding.get(ident, []),
                        "stack": stack,
                    }
                )
            report: dict[str, Any] = {
                "kind": "double-lock" if len(cycle) == 1 else "lock-order-inversion",
                "threads": threads,
                "locks": [t["waiting_for"] for t in threads],
            }
            report["text"] = render(report)
            deadlocks.append(report)
        seen.update(path)
    return deadlocks


def current_deadlocks(thread_names: dict[int, str]) -> list[dict[str, Any]]:
    """Deadlocks among tracked locks right now; cheap (no heap scan) when no thread waits for one."""
    if not installed():
        return []
    frames = sys._current_frames()  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
    if not anyone_waiting(frames):
        return []
    return find_deadlocks(frames, thread_names)
