"""Which tracked locks are held, and which threads wait for what: a snapshot, taken on demand.

Held locks are found by scanning `gc.get_objects` (which stops the world in free-threaded
builds) for tracked locks, and their owners read from the C locks themselves (exact).  Waiting
threads are found in ``sys._current_frames()``: by the wait functions' frames, which hold the lock
in a local (exact: an ``acquire()`` that had to wait), or, for a thread blocked in the C
``__enter__`` of a ``with lock:`` (which runs no Python code), by its innermost frame standing on
that ``BEFORE_WITH`` or ``lock.__enter__()``/``lock.acquire()`` call, the lock re-read from the
names the instructions before it loaded (inferred: a name rebound since, or an expression more
complex than names and attributes, is not followed).  Nothing is recorded anywhere until somebody
asks.
"""

from __future__ import annotations

import gc
import opcode
import os
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import dis

from ...user_code import is_runtime_file, thread_objects
from .tracked import THIS_FILE, WAIT_CODES, TrackedLock, TrackedRLock, installed, lock_state, owner_count

_CONDITION_WAIT_CODES = {threading.Condition.wait.__code__, threading.Condition.wait_for.__code__}


Tracked = TrackedLock | TrackedRLock


def _is_ours(lock: Tracked) -> bool:
    """Was `lock` made by the debugger's runtime rather than the program?"""
    return is_runtime_file(lock._file)  # pyright: ignore[reportPrivateUsage]  # the tracked locks' own slot


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


# (``opcode`` rather than ``dis``, whose import costs the program ~10 ms at startup; `dis` is
# imported at the first stop that needs it.)
_BEFORE_WITH = opcode.opmap["BEFORE_WITH"]
_CALLS = frozenset(opcode.opmap[name] for name in ("CALL", "CALL_KW") if name in opcode.opmap)  # CALL_KW: 3.13
#: Methods whose C call, on a tracked lock, is a thread blocked taking it.
_TAKING = frozenset({"acquire", "__enter__", "acquire_lock"})
_LOADS = frozenset({"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_DEREF", "LOAD_GLOBAL", "LOAD_NAME"})
#: Instructions that push one argument and read nothing else (what `_entering` steps over).
_SIMPLE_ARGS = _LOADS | {"LOAD_CONST"}
_instructions: dict[Any, tuple[list[dis.Instruction], dict[int, int]]] = {}


def _code_instructions(code: Any) -> tuple[list[dis.Instruction], dict[int, int]]:
    """A code object's instructions and offset -> index, cached (it is only read at stops)."""
    got = _instructions.get(code)
    if got is None:
        import dis

        if len(_instructions) > 4096:
            _instructions.clear()
        instrs = list(dis.get_instructions(code))
        got = _instructions[code] = (instrs, {ins.offset: i for i, ins in enumerate(instrs)})
    return got


_MISSING = object()


def _attribute(obj: Any, name: str) -> Any:
    """``obj.name`` read without running the program's code (instance dict or slot), or _MISSING."""
    for klass in type(obj).__mro__:
        found = klass.__dict__.get(name, _MISSING)
        if found is not _MISSING:
            if type(found).__name__ == "member_descriptor":  # a __slots__ slot
                try:
                    return found.__get__(obj, type(obj))
                except AttributeError:
                    return _MISSING
            break
    try:
        d: object = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return _MISSING
    return cast("dict[str, Any]", d).get(name, _MISSING) if isinstance(d, dict) else _MISSING


def _loaded(frame: FrameType, instrs: list[dis.Instruction], end: int) -> Any:
    """The value that ``instrs[..end]`` pushed, when they are a name followed by attributes
    (``lock``, ``self._lock``, ``mod.LOCK``), read now from the frame; _MISSING otherwise."""
    attrs: list[str] = []
    i = end
    while i >= 0 and instrs[i].opname == "LOAD_ATTR" and not instrs[i].is_jump_target:
        attrs.append(str(instrs[i].argval))
        i -= 1
    if i < 0 or instrs[i].opname not in _LOADS:
        return _MISSING
    name = str(instrs[i].argval)
    if instrs[i].opname == "LOAD_GLOBAL":
        value = frame.f_globals.get(name, _MISSING)
        if value is _MISSING:
            value = frame.f_builtins.get(name, _MISSING)
    else:
        value = frame.f_locals.get(name, _MISSING)
    for attr in reversed(attrs):
        if value is _MISSING:
            break
        value = _attribute(value, attr)
    return value


def _entering(frame: FrameType, ident: int) -> Tracked | None:
    """The tracked lock thread `ident` is blocked taking in C, when `frame` (its innermost) stands
    on a ``with lock:``'s ``BEFORE_WITH`` or a ``lock.acquire(...)``/``lock.__enter__()`` call,
    and another thread holds that lock (otherwise the C call doesn't wait)."""
    code = frame.f_code
    offset = frame.f_lasti
    raw = code.co_code
    if offset < 0 or offset >= len(raw) or (raw[offset] != _BEFORE_WITH and raw[offset] not in _CALLS):
        return None
    if is_runtime_file(code.co_filename):
        return None
    instrs, index = _code_instructions(code)
    k = index.get(offset)
    if k is None or instrs[k].is_jump_target:
        return None
    if instrs[k].opcode == _BEFORE_WITH:
        target = _loaded(frame, instrs, k - 1)
    else:
        # A method call: [receiver] LOAD_ATTR method, its arguments (simple loads), CALL[_KW] n.
        # (3.13's CALL_KW takes the names tuple as one more push; 3.12's KW_NAMES pushes nothing.)
        kw_names = 1 if k > 0 and instrs[k - 1].opname == "KW_NAMES" else 0
        j = k - 1 - kw_names - int(instrs[k].arg or 0) - (1 if instrs[k].opname == "CALL_KW" else 0)
        if j < 0 or any(ins.opname not in _SIMPLE_ARGS or ins.is_jump_target for ins in instrs[j + 1 : k - kw_names]):
            return None
        method = instrs[j]
        if method.opname != "LOAD_ATTR" or method.argval not in _TAKING or not (method.arg or 0) & 1:
            return None
        target = _loaded(frame, instrs, j - 1)
    if type(target) not in (TrackedLock, TrackedRLock):
        return None
    owner, count = owner_count(target)
    return target if count and owner != ident else None


def _waiting_for(frame: FrameType | None, ident: int) -> tuple[str, Any]:
    """("lock", lock) or ("condition", cond) or ("", None) for a thread's innermost frame."""
    f = frame
    while f is not None:
        code = f.f_code
        if code in WAIT_CODES:
            return "lock", f.f_locals.get("lock")
        if code in _CONDITION_WAIT_CODES:
            return "condition", f.f_locals.get("self")
        f = f.f_back
    if frame is not None:
        lock = _entering(frame, ident)
        if lock is not None:
            return "lock", lock
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
    return any(_waiting_for(f, ident)[0] == "lock" for ident, f in frames.items())


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
        kind, target = _waiting_for(frame, ident)
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


