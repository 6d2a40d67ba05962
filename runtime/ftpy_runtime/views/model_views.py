"""The free-threaded object model, as rows in the Variables pane.

Three views, all read on the agent thread (they run no user code: the header is read with
ctypes, ownership and locks come from ``gc.get_objects`` and ``sys._current_frames``, which stop
the world on their own in free-threaded builds):

* the ``⟨object header⟩`` child of every value (`header_rows`);
* the "Ownership (free-threaded)" scope: which thread each live object is biased to
  (`ownership_rows`);
* the "Locks" scope: which tracked lock each thread holds, and who waits for which
  (`locks_rows`).

"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..objectmodel import headers, locks, ownership
from ..user_code import is_runtime_thread_name
from ..world.stopping import World
from .variables import Handles, ObjectHeader, Value

#: Scope names, as the client shows them.
OWNERSHIP_SCOPE = "Ownership (free-threaded)"
LOCKS_SCOPE = "Locks"
#: The ownership view's row for objects no thread owns.
UNOWNED_ROW = "unowned (immortal/merged)"
#: The header row added after `headers.describe`'s own.
PROGRAM_OWN_ROW = "program's own references"

_READ_ONLY = {"kind": "virtual", "attributes": ["readOnly"]}


@dataclass
class OwnershipView:
    """The ownership scope: a fresh snapshot every time it is expanded."""


@dataclass
class LocksView:
    """The locks scope: a fresh snapshot every time it is expanded."""


@dataclass
class Rows:
    """Precomputed (name, value, children) rows: the inside of a view, already read."""

    rows: list[tuple[str, str, Rows | None]] = field(default_factory=lambda: [])


VIEW_TYPES = (ObjectHeader, OwnershipView, LocksView, Rows)


def _row(handles: Handles, name: str, value: str, children: Rows | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "value": value,
        "variablesReference": handles.add(children) if children is not None and children.rows else 0,
        "presentationHint": _READ_ONLY,
    }


def rows_of(handles: Handles, item: Rows) -> list[dict[str, Any]]:
    return [_row(handles, name, value, children) for name, value, children in item.rows]


def children(handles: Handles, item: Any, world: World) -> list[dict[str, Any]]:
    """The children of one of the views in `VIEW_TYPES`."""
    if isinstance(item, ObjectHeader):
        return header_rows(handles, item, world.threads.names())
    if isinstance(item, OwnershipView):
        return ownership_rows(handles, world.threads.names())
    if isinstance(item, LocksView):
        return locks_rows(handles, world.threads.names())
    if isinstance(item, Rows):
        return rows_of(handles, item)
    raise KeyError("not a view")


# -- The object header ----------------------------------------------------------


def _holders(handles: Handles, target: Value) -> list[int]:
    """The threads that made each handle in the table that refers to `target`'s object.

    Compared by ``id`` so that this function takes no reference of its own.
    """
    address = id(target.value)
    return [it.holder for it in handles.items() if isinstance(it, Value) and id(it.value) == address]


def header_rows(handles: Handles, item: ObjectHeader, names: dict[int, str]) -> list[dict[str, Any]]:
    """`headers.describe`'s rows for the object, plus the program's own counts.

    The variable table's handles each hold a reference, counted where the thread that made the
    handle counts: in ``ob_ref_local`` when it owns the object, else in ``ob_ref_shared``.  The
    object is passed straight from the handle (no local name here holds it), so the only other
    references are the reader's own, which it measures.
    """
    holders = _holders(handles, item.of)
    rows = headers.describe(item.of.value, names, held_by_caller=len(holders))
    info = headers.read(item.of.value)
    out = [_row(handles, name, value) for name, value in rows]
    if info.free_threaded and not info.immortal and info.ob_ref_local is not None and info.shared_count is not None:
        in_local = sum(1 for h in holders if h == info.ob_tid)
        in_shared = len(holders) - in_local
        own = info.inspector_refs
        local = info.ob_ref_local - in_local - (own if info.inspector_refs_field == "ob_ref_local" else 0)
        shared = info.shared_count - in_shared - (own if info.inspector_refs_field == "ob_ref_shared" else 0)
        out.append(_row(handles, PROGRAM_OWN_ROW,
                        f"local {local}, shared {shared} (the counts above less the inspector's {own} "
                        f"and the variable table's {len(holders)})"))
    return out


# -- Ownership --------------------------------------------------------------------


def _types_rows(top_types: list[dict[str, Any]]) -> Rows:
    return Rows([(str(t["type"]), f"{t['count']} objects", None) for t in top_types])


def ownership_rows(handles: Handles, names: dict[int, str]) -> list[dict[str, Any]]:
    snap = ownership.snapshot(names)
    if not snap.get("free_threaded"):
        return [_row(handles, "not available", str(snap.get("reason", "not a free-threaded build")))]
    rows: list[tuple[str, str, Rows | None]] = []
    for t in snap["threads"]:
        label = f"{t['name']} (ident {t['ident']})" + ("" if t["alive"] else " [exited]")
        if t["alive"] and is_runtime_thread_name(str(t["name"])):
            label += " [debugger]"
        rows.append((label, f"{t['objects']} objects biased, {t['shared']} shared", _types_rows(t["top_types"])))
    u = snap["unowned"]
    rows.append((UNOWNED_ROW, f"{u['objects']} objects ({u['immortal']} immortal, {u['merged']} merged)",
                 _types_rows(u["top_types"])))
    rows.append(("note", f"{snap['objects']} GC-tracked objects scanned in {snap['elapsed_s'] * 1000:.0f} ms; "
                 "'shared' counts objects other threads hold references to (atomic refcounting)", None))
    return rows_of(handles, Rows(rows))


# -- Locks ------------------------------------------------------------------------


def locks_report(names: dict[int, str]) -> dict[str, Any]:
    """`locks.snapshot` plus the deadlocks in it: the body of the ``locks`` request."""
    snap = locks.snapshot(None, names)
    report = dict(snap)
    report["deadlocks"] = locks.find_deadlocks(snap=snap)
    if not snap.get("installed"):
        report["reason"] = ("tracked locks are off (they are installed only without race detection, "
                            "whose own Lock wrappers replace them, and unless trackLocks is false); "
                            "held locks cannot be attributed")
    return report


def _lock_label(lock: dict[str, Any]) -> str:
    created: dict[str, Any] = lock.get("created") or {}
    return f"{lock['type']} {lock['id']} ({os.path.basename(str(created.get('file', '?')))}:{created.get('line', 0)})"


def _who(ref: dict[str, Any] | None) -> str:
    # None: a locked Lock that no stopped thread's frames show holding (taken in a function that
    # has returned since, say); said so rather than guessed.
    return f"{ref['name']} (ident {ref['id']})" if ref else "unknown (no thread's frames show it)"


def _stack_rows(stack: list[dict[str, Any]]) -> Rows:
    return Rows([(f"#{i} {fr['function']}", f"{fr['file']}:{fr['line']}", None) for i, fr in enumerate(stack)])


def locks_rows(handles: Handles, names: dict[int, str]) -> list[dict[str, Any]]:
    report = locks_report(names)
    rows: list[tuple[str, str, Rows | None]] = []
    if not report["installed"]:
        rows.append(("tracked locks", str(report["reason"]), None))
    for d in report["deadlocks"]:
        who = ", ".join(t["name"] for t in d["threads"])
        rows.append(("potential deadlock", f"{d['kind']}: {who}",
                     Rows([(f"{i:02d}", line, None) for i, line in enumerate(d["text"].splitlines())])))
    for h in report["held"]:
        value = f"held by {_who(h['owner'])}" + (f", {h['count']} times" if h["lock"]["type"] == "RLock" else "")
        rows.append((_lock_label(h["lock"]), value, None))
    for w in report["waiting"]:
        name = f"{w['thread']['name']} (ident {w['thread']['id']})"
        if w["kind"] == "lock":
            value = f"waits for {_lock_label(w['lock'])}, held by {_who(w.get('owner'))}"
        else:
            value = f"waits on a Condition {w['condition']} (Event, Queue, Semaphore...)"
        rows.append((name, value, _stack_rows(w["stack"])))
    if not rows:
        rows.append(("no tracked lock is held", "and no thread waits for one", None))
    return rows_of(handles, Rows(rows))
