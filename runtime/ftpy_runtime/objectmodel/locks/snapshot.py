"""Which tracked locks are held, and which threads wait for what: a snapshot, taken on demand.

Nothing is recorded while the program runs; everything is read when somebody asks (at a stop).

Holders.  A tracked RLock's owner and count are read from the C RLock itself (exact); tracked
RLocks are found by scanning `gc.get_objects` (which stops the world in free-threaded builds).
A plain ``Lock`` doesn't know its holder, so each thread's frames are read, innermost first, for
what they show it holds (inferred from the bytecode, never by running the program's code):

* the ``with`` blocks a frame is inside: the exception-table entry covering its ``f_lasti``, and
  the entries covering each handler in turn, lead to the enclosing ``with`` handlers
  (``PUSH_EXC_INFO; WITH_EXCEPT_START``), each named by the entry that starts right after its
  ``BEFORE_WITH``; the context manager is re-read from the names the instructions before that
  ``BEFORE_WITH`` loaded (``lock``, ``self._lock``, ``mod.LOCK``; a ``Condition`` stands for its
  lock);
* the ``x.acquire()`` calls the frame made before ``f_lasti`` (when the result is discarded, or
  ``f_lasti`` is on the branch where ``if x.acquire(...):`` succeeded) with no ``x.release()`` of
  the same lock between them in the code: the ``acquire(); try: ... finally: release()`` idiom,
  straight-line ``acquire()``s, a loop body between its ``acquire`` and ``release``;
* a frame below ``Condition.wait`` has let go of that condition's lock while it waits.

A locked Lock that no frame claims (acquired in a function that has returned since, by an
expression more complex than names and attributes, or claimed by two threads at once) is shown
held by an unknown owner (None) rather than guessed.  Plain locks are those whose creation site
`tracked` noted since `install`, plus, in the program's own frames, locks made before it (by
modules imported before the program) that a frame shows held or waited for.

Waiting threads are found in ``sys._current_frames()``: by the RLock wait functions' frames, which
hold the lock in a local (exact: an ``acquire()`` that had to wait), or, for a thread blocked in a
C ``acquire``/``__enter__`` (a plain lock's, or a ``with rlock:``), by its innermost frame standing
on that ``BEFORE_WITH`` or ``lock.__enter__()``/``lock.acquire()`` call, the lock re-read as above
(inferred: a name rebound since is not followed).
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

from ...user_code import is_internal, is_runtime_file, is_user, thread_objects
from .tracked import (
    THIS_FILE,
    WAIT_CODES,
    RawLock,
    TrackedRLock,
    installed,
    lock_site,
    made_at,
    owner_count,
    tracked_plain_locks,
)

_CONDITION_WAIT_CODES = {threading.Condition.wait.__code__, threading.Condition.wait_for.__code__}
_THREADING_FILE = threading.__file__


def _is_ours(lock: Any) -> bool:
    """Was `lock` made by the debugger's runtime rather than the program?"""
    return is_runtime_file(made_at(lock)[0])


def _is_locked(lock: Any) -> bool:
    return owner_count(lock)[1] > 0 if type(lock) is TrackedRLock else bool(lock.locked())


def _lock_info(lock: Any) -> dict[str, Any]:
    file, line = made_at(lock)
    return {
        "id": f"{id(lock):#x}",
        "type": "RLock" if type(lock) is TrackedRLock else "Lock",
        "locked": _is_locked(lock),
        "created": {"file": file, "line": line},
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
_BEFORE_WITH = opcode.opmap.get("BEFORE_WITH", -1)  # 3.12, 3.13
_CALLS = frozenset(opcode.opmap[name] for name in ("CALL", "CALL_KW") if name in opcode.opmap)  # CALL_KW: 3.13
#: Methods whose C call, on a lock, is a thread blocked taking it.
_TAKING = frozenset({"acquire", "__enter__", "acquire_lock"})
#: Methods a frame calls to take (`_ACQUIRES`) and let go of (`_RELEASES`) a lock it holds after.
_ACQUIRES = frozenset({"acquire", "acquire_lock"})
_RELEASES = frozenset({"release", "release_lock"})
_LOADS = frozenset({"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_DEREF", "LOAD_GLOBAL", "LOAD_NAME"})
#: 3.13's superinstructions whose last push is a local (``with a as x, b:`` loads ``b`` with
#: STORE_FAST_LOAD_FAST): the name is the second of the pair.
_PAIR_LOADS = frozenset({"LOAD_FAST_LOAD_FAST", "STORE_FAST_LOAD_FAST"})
#: Instructions that push one argument and read nothing else (what a method call's arguments may be).
_SIMPLE_ARGS = _LOADS | {"LOAD_CONST"}


class _Code:
    """What the snapshot reads from one code object's bytecode, worked out at the first stop that
    needs it and cached: its instructions, exception table, ``with`` handlers and lock calls."""

    __slots__ = ("instrs", "index", "entries", "withs", "takes", "releases")

    def __init__(self, code: Any) -> None:
        import dis

        instrs = self.instrs = list(dis.get_instructions(code))
        index = self.index = {ins.offset: i for i, ins in enumerate(instrs)}
        # (start, end exclusive, handler) of each exception-table entry; ``exception_entries`` is
        # dis's parse of ``co_exceptiontable`` (3.11+), which typeshed leaves out.
        parsed: list[Any] = getattr(dis.Bytecode(code), "exception_entries", [])
        self.entries: list[tuple[int, int, int]] = [(int(e.start), int(e.end), int(e.target)) for e in parsed]
        #: A ``with`` handler's offset -> the index of its ``BEFORE_WITH``.  The first entry (in
        #: offset order) that jumps to a handler starts right after that handler's ``BEFORE_WITH``.
        self.withs: dict[int, int] = {}
        seen: set[int] = set()
        for start, _end, target in self.entries:
            if target in seen:
                continue
            seen.add(target)
            h, k = index.get(target), index.get(start)
            if (
                h is not None and k is not None and k > 0 and h + 1 < len(instrs)
                and instrs[h].opname == "PUSH_EXC_INFO" and instrs[h + 1].opname == "WITH_EXCEPT_START"
                and instrs[k - 1].opcode == _BEFORE_WITH
            ):
                self.withs[target] = k - 1
        #: ``x.acquire()`` calls that leave `x` held: (offset of the CALL, index of the receiver's
        #: last load, how its result decides: ("always", 0), ("until", jump target) for
        #: ``if x.acquire(...):``, ("from", jump target) for ``if not x.acquire(...): ...``).
        self.takes: list[tuple[int, int, str, int]] = []
        #: ``x.release()`` calls: (offset of the CALL, index of the receiver's last load).
        self.releases: list[tuple[int, int]] = []
        for k, ins in enumerate(instrs):
            if ins.opcode not in _CALLS:
                continue
            j = method_call(instrs, k)
            if j is None:
                continue
            name = instrs[j].argval
            if name in _RELEASES:
                self.releases.append((ins.offset, j - 1))
            elif name in _ACQUIRES:
                n = k + 1
                if n < len(instrs) and instrs[n].opname == "TO_BOOL":
                    n += 1
                after = instrs[n] if n < len(instrs) else None
                if after is None:
                    continue
                if after.opname == "POP_TOP":
                    self.takes.append((ins.offset, j - 1, "always", 0))
                elif after.opname in ("POP_JUMP_IF_FALSE", "POP_JUMP_IF_TRUE"):
                    how = "until" if after.opname == "POP_JUMP_IF_FALSE" else "from"
                    self.takes.append((ins.offset, j - 1, how, int(after.argval)))

    def handler_at(self, offset: int) -> int | None:
        """The handler of the exception-table entry covering `offset`, if any."""
        for start, end, target in self.entries:
            if start <= offset < end:
                return target
        return None

    def active_withs(self, offset: int) -> list[int]:
        """Indexes of the ``BEFORE_WITH`` of every ``with`` block that `offset` is inside,
        innermost first: the handler covering it, then the one covering that handler, and so on."""
        out: list[int] = []
        seen: set[int] = set()
        target = self.handler_at(offset)
        while target is not None and target not in seen:
            seen.add(target)
            k = self.withs.get(target)
            if k is not None:
                out.append(k)
            target = self.handler_at(target)
        return out


_codes: dict[Any, _Code] = {}


def _code_facts(code: Any) -> _Code:
    """`_Code` of a code object, cached (it is only read at stops)."""
    got = _codes.get(code)
    if got is None:
        if len(_codes) > 4096:
            _codes.clear()
        got = _codes[code] = _Code(code)
    return got


def method_call(instrs: list[dis.Instruction], k: int) -> int | None:
    """For ``instrs[k]``, a CALL[_KW] of a method on a receiver, with simple loads as its
    arguments (``x.acquire()``, ``self._lock.acquire(timeout=t)``): the index of the method's
    ``LOAD_ATTR``; None for any other call.  (3.13's CALL_KW takes the names tuple as one more
    push; 3.12's KW_NAMES pushes nothing.)"""
    if instrs[k].is_jump_target:
        return None
    kw_names = 1 if k > 0 and instrs[k - 1].opname == "KW_NAMES" else 0
    j = k - 1 - kw_names - int(instrs[k].arg or 0) - (1 if instrs[k].opname == "CALL_KW" else 0)
    if j < 0 or any(ins.opname not in _SIMPLE_ARGS or ins.is_jump_target for ins in instrs[j + 1 : k - kw_names]):
        return None
    method = instrs[j]
    if method.opname != "LOAD_ATTR" or not (method.arg or 0) & 1:
        return None
    return j


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
    if i < 0:
        return _MISSING
    op = instrs[i].opname
    if op in _PAIR_LOADS:
        pair: object = instrs[i].argval
        pair = cast("tuple[object, ...]", pair) if isinstance(pair, tuple) else ()
        name = str(pair[1]) if len(pair) == 2 else ""
        if not name:
            return _MISSING
        op = "LOAD_FAST"
    elif op in _LOADS:
        name = str(instrs[i].argval)
    else:
        return _MISSING
    if op == "LOAD_GLOBAL":
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


def _as_lock(value: Any) -> Any:
    """The tracked RLock or plain lock that `value` is, or that the ``Condition`` `value` is
    built on; None for anything else."""
    if type(value) is threading.Condition:
        value = _attribute(value, "_lock")
    return value if type(value) is TrackedRLock or type(value) is RawLock else None


def _shown(lock: Any, filename: str) -> bool:
    """Is `lock`, seen in a frame of `filename`, one the snapshot reports?  Tracked RLocks and the
    plain locks made since `install` are; a plain lock made earlier (by a module imported before
    the program, or threading's own ``_allocate_lock``) only in the program's own code."""
    if type(lock) is TrackedRLock or lock_site(lock) is not None:
        return not is_internal(filename)
    return is_user(filename, True)


def _entering(frame: FrameType, ident: int) -> Any:
    """The lock thread `ident` is blocked taking in C, when `frame` (its innermost) stands on a ``with
    lock:``'s ``BEFORE_WITH`` or a ``lock.acquire(...)``/``lock.__enter__()`` call and the lock is
    taken (held by another thread, or a plain Lock by anyone: it isn't reentrant); else None."""
    code = frame.f_code
    offset = frame.f_lasti
    raw = code.co_code
    if offset < 0 or offset >= len(raw) or (raw[offset] != _BEFORE_WITH and raw[offset] not in _CALLS):
        return None
    if is_internal(code.co_filename):
        return None
    facts = _code_facts(code)
    instrs = facts.instrs
    k = facts.index.get(offset)
    if k is None or instrs[k].is_jump_target:
        return None
    if instrs[k].opcode == _BEFORE_WITH:
        target = _as_lock(_loaded(frame, instrs, k - 1))
    else:
        j = method_call(instrs, k)
        if j is None or instrs[j].argval not in _TAKING:
            return None
        target = _as_lock(_loaded(frame, instrs, j - 1))
    if target is None or not _shown(target, code.co_filename):
        return None
    if type(target) is TrackedRLock:
        owner, count = owner_count(target)
        return target if count and owner != ident else None
    return target if target.locked() else None


def _waiting_for(frame: FrameType | None, ident: int) -> tuple[str, Any]:
    """("lock", lock) or ("condition", cond) or ("", None) for a thread's innermost frame."""
    if frame is not None:
        lock = _entering(frame, ident)
        if lock is not None:
            return "lock", lock
    f = frame
    while f is not None:
        code = f.f_code
        if code in WAIT_CODES:
            return "lock", f.f_locals.get("lock")
        if code in _CONDITION_WAIT_CODES:
            return "condition", f.f_locals.get("self")
        f = f.f_back
    return "", None


def _holds(frame: FrameType, facts: _Code) -> list[Any]:
    """The locks `frame` shows it holds: the ``with`` blocks it is inside, and the ``acquire()``
    calls before its ``f_lasti`` not undone by a ``release()`` of the same lock since."""
    instrs, lasti = facts.instrs, frame.f_lasti
    out: list[Any] = []
    for k in facts.active_withs(lasti):
        lock = _as_lock(_loaded(frame, instrs, k - 1))
        if lock is not None:
            out.append(lock)
    for offset, receiver, how, jump in facts.takes:
        if offset >= lasti or (how == "until" and lasti >= jump) or (how == "from" and lasti < jump):
            continue
        lock = _as_lock(_loaded(frame, instrs, receiver))
        if lock is None:
            continue
        if any(
            offset < r_offset < lasti and _as_lock(_loaded(frame, instrs, r_receiver)) is lock
            for r_offset, r_receiver in facts.releases
        ):
            continue
        out.append(lock)
    return out


def _claims(frames: dict[int, FrameType]) -> dict[int, tuple[Any, set[int]]]:
    """id(lock) -> (lock, the threads whose frames show they hold it), for the plain locks in
    `frames` (see the module docstring: with blocks, acquire() calls, Condition.wait)."""
    claims: dict[int, tuple[Any, set[int]]] = {}
    for ident, frame in frames.items():
        let_go: set[int] = set()  # locks a Condition.wait below has released while it waits
        f: FrameType | None = frame
        while f is not None:
            code = f.f_code
            filename = code.co_filename
            if code in _CONDITION_WAIT_CODES:
                inner = _as_lock(f.f_locals.get("self"))
                if inner is not None:
                    let_go.add(id(inner))
            elif not is_internal(filename):
                for lock in _holds(f, _code_facts(code)):
                    if type(lock) is RawLock and id(lock) not in let_go and lock.locked() and _shown(lock, filename):
                        claims.setdefault(id(lock), (lock, set()))[1].add(ident)
            f = f.f_back
    return claims


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

    ``stack[0]`` is the innermost frame.  ``owner`` is None for a locked plain Lock whose
    holder no frame shows (see the module docstring), or an RLock's in a moment's race.
    """
    if frames is None:
        frames = sys._current_frames()  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
    if thread_names is None:
        thread_names = _thread_names()
    claims = _claims(frames)

    def owner_of(lock: Any) -> int:
        if type(lock) is TrackedRLock:
            return owner_count(lock)[0]
        claimed = claims.get(id(lock))
        return next(iter(claimed[1])) if claimed is not None and len(claimed[1]) == 1 else 0

    # Tracked RLocks from the heap (``type(o) is`` rather than isinstance: a Python-level check
    # per heap object would slow the scan down); plain locks from `tracked`'s notes, and those
    # the frames show (made before `install`).  The debugger's own (made in the runtime) are
    # not the program's business.
    rlocks = [o for o in gc.get_objects() if type(o) is TrackedRLock]
    plain = tracked_plain_locks()
    noted = {id(lock) for lock in plain}
    plain += [lock for key, (lock, _) in claims.items() if key not in noted]
    held: list[dict[str, Any]] = []
    for lock in rlocks + plain:
        if _is_ours(lock) or not _is_locked(lock):
            continue
        count = owner_count(lock)[1] if type(lock) is TrackedRLock else 1
        held.append({"lock": _lock_info(lock), "owner": _thread_ref(owner_of(lock), thread_names), "count": count})

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
            entry["owner"] = _thread_ref(owner_of(target), thread_names)
        else:
            entry["condition"] = f"{id(target):#x}"
        waiting.append(entry)
    return {"installed": installed(), "held": held, "waiting": waiting}
