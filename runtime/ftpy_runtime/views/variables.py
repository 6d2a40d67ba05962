"""Turning Python values into DAP variables, lazily, a page at a time.

A *handle* (a DAP ``variablesReference``) names something with children: a scope of a frame or
a value.  Handles live until the program resumes.  Everything that calls ``repr``, ``len`` or
attribute access on a user object runs on a parked user thread (the agent sends it there with
``world.parked_calls.run_on``), never on the agent thread.

"""

from __future__ import annotations

import _thread
import reprlib
import time
import types
from collections.abc import Sized
from dataclasses import dataclass, field
from typing import Any, cast

from ..user_code import start_runtime_thread
from ..world.parked_calls import clear_async_exc, set_async_exc
from ..world.stopping import EvalInterrupted

#: Containers longer than this are paged: the client asks for slices of indexed children.
PAGE = 100
#: Longest value string sent to the client.
MAX_VALUE = 1000

_NO_CHILDREN = (int, float, complex, bool, str, bytes, bytearray, type(None), type(Ellipsis), range)
#: The containers whose items are paged children (the client asks for slices of them).
_CONTAINERS = (list, tuple, dict, set, frozenset)


@dataclass
class Scope:
    frame: types.FrameType
    kind: str  # "locals" or "globals"


@dataclass
class Value:
    value: Any
    evaluate_name: str | None
    #: The thread that made this handle, and so took its reference on `value`: the header
    #: view needs it to tell whether that reference landed in ob_ref_local or ob_ref_shared.
    holder: int = field(default_factory=_thread.get_ident)


#: The name of the child every object value has: its PEP 703 header, decoded.
HEADER_CHILD = "\u27e8object header\u27e9"


@dataclass
class ObjectHeader:
    """The ``⟨object header⟩`` child of a value.  Holds the value's handle, not the value, so
    that it adds no reference of its own to the object it describes."""

    of: Value


class Handles:
    """variablesReference -> what it names.  Cleared every time the program resumes."""

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._items: dict[int, Any] = {}
        self._next = 1
        self._frames: dict[int, tuple[Any, types.FrameType, int]] = {}
        self._frame_ids: dict[int, int] = {}

    def add(self, item: Any) -> int:
        with self._lock:
            ref = self._next
            self._next += 1
            self._items[ref] = item
            return ref

    def get(self, ref: int) -> Any:
        with self._lock:
            return self._items.get(ref)

    def frame_id(self, ts: Any, frame: types.FrameType, line: int) -> int:
        with self._lock:
            fid = self._frame_ids.get(id(frame))
            if fid is None:
                fid = self._next
                self._next += 1
                self._frame_ids[id(frame)] = fid
                self._frames[fid] = (ts, frame, line)
            return fid

    def frame(self, fid: int) -> tuple[Any, types.FrameType, int] | None:
        with self._lock:
            return self._frames.get(fid)

    def items(self) -> list[Any]:
        """Everything the table holds right now (the header view counts its references)."""
        with self._lock:
            return list(self._items.values())

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._frames.clear()
            self._frame_ids.clear()
            # Keep counting up: a stale reference from the last stop never names a new thing.


#: Seconds one value's ``__repr__`` may run before it is interrupted (its value says so).
REPR_TIMEOUT = 0.5


class ReprTimeout(EvalInterrupted):
    """Raised asynchronously into a thread whose ``__repr__`` outlived `REPR_TIMEOUT`."""




class ReprWatchdog:
    """Interrupts a ``__repr__`` that runs too long, so that one slow value costs only its own row.

    One thread (started by the agent, which registers it as the runtime's own) sleeps until a
    value is being shown, then checks the deadline every 50 ms and raises `ReprTimeout` into the
    thread that is past it.  A ``__repr__`` blocked inside C code is interrupted when it returns
    to Python; the request's own timeout still bounds the whole answer.
    """

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._wake = _thread.allocate_lock()
        self._wake.acquire()
        self._armed: dict[int, float] = {}
        self._fired: set[int] = set()
        self._running = False
        self.ident = 0

    def start(self) -> int:
        """Start the watchdog thread (once; a runtime thread, never shown or parked); its ident."""
        with self._lock:
            if not self.ident:
                self.ident = start_runtime_thread(self._run)
            return self.ident

    def arm(self) -> bool:
        """Start the clock on the calling thread's ``__repr__``, if it is listing children."""
        ident = _thread.get_ident()
        if not self.ident or ident not in _listing:
            return False
        with self._lock:
            self._armed[ident] = time.monotonic() + REPR_TIMEOUT
            self._fired.discard(ident)
            if not self._running:
                self._running = True
                self._wake.release()
        return True

    def disarm(self) -> None:
        ident = _thread.get_ident()
        with self._lock:
            self._armed.pop(ident, None)
            if ident in self._fired:
                self._fired.discard(ident)
                clear_async_exc(ident, None)  # fired but not delivered yet: it must not land elsewhere

    def _run(self) -> None:
        while True:
            self._wake.acquire()
            while True:
                time.sleep(0.05)
                now = time.monotonic()
                with self._lock:
                    for ident, deadline in list(self._armed.items()):
                        if now >= deadline:
                            del self._armed[ident]
                            self._fired.add(ident)
                            set_async_exc(ident, ReprTimeout)
                    if not self._armed:
                        self._running = False
                        break


WATCHDOG = ReprWatchdog()
#: Threads listing a handle's children (`children`): only there does each value get its own
#: `REPR_TIMEOUT`.  An evaluation's result is the whole answer: it keeps the request's timeout.
_listing: set[int] = set()


def _describe_error(exc: BaseException) -> str:
    """``Type: message`` for an exception user code raised, even when its ``__str__`` raises too."""
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a user exception's __str__ may raise anything
        text = "<unprintable>"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_repr = reprlib.Repr()
_repr.maxstring = MAX_VALUE
_repr.maxother = MAX_VALUE
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 30
_repr.maxlevel = 3


def safe_repr(value: Any) -> str:
    """``repr(value)``, shortened; whatever the ``__repr__`` raises or however long it runs, a string.

    SystemExit and KeyboardInterrupt are user code's too: they become the value's text.  Only
    the request's own timeout (`EvalInterrupted`) goes on up.
    """
    try:
        if WATCHDOG.arm():
            try:
                text = _repr.repr(value)
            finally:
                WATCHDOG.disarm()
        else:
            text = _repr.repr(value)
    except ReprTimeout:
        return f"<repr() did not return within {REPR_TIMEOUT:g} s>"
    except EvalInterrupted:
        raise
    except BaseException as exc:  # noqa: BLE001 - a __repr__ may raise anything
        return f"<repr() failed: {_describe_error(exc)}>"
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 3] + "..."


def _length(value: object) -> int | None:
    """``len(value)`` for the containers whose items are paged, else None."""
    if isinstance(value, _CONTAINERS):
        return len(cast(Sized, value))
    return None


def has_children(value: object) -> bool:
    if isinstance(value, _NO_CHILDREN):
        return False
    n = _length(value)
    if n is not None:
        return n > 0
    return True


def describe(handles: Handles, name: str, value: Any, evaluate_name: str | None) -> dict[str, Any]:
    """One DAP Variable for ``value``."""
    var: dict[str, Any] = {
        "name": name,
        "value": safe_repr(value),
        "type": type(value).__qualname__,
        "variablesReference": 0,
    }
    if evaluate_name is not None:
        var["evaluateName"] = evaluate_name
    # Every value is an object with a header worth showing (None and small ints included:
    # they show their immortality), so every value gets children.
    var["variablesReference"] = handles.add(Value(value, evaluate_name))
    try:
        if has_children(value):
            n = _length(value)
            if n is not None and n > PAGE:
                var["indexedVariables"] = n
    except EvalInterrupted:
        raise
    except BaseException as exc:  # noqa: BLE001 - a __len__ or __getattribute__ may raise anything
        # This value's row says what failed; its neighbours are shown as usual.
        var["value"] = f"<cannot show its items: {_describe_error(exc)}> {var['value']}"
    return var


def _item_name(evaluate_name: str | None, suffix: str) -> str | None:
    return f"{evaluate_name}{suffix}" if evaluate_name is not None else None


def children(handles: Handles, item: Any, filter_: str | None, start: int, count: int) -> list[dict[str, Any]]:
    """The children of a handle, or the ``[start, start+count)`` slice of them; a ``__repr__``
    that runs too long costs its own row only (`REPR_TIMEOUT`)."""
    ident = _thread.get_ident()
    _listing.add(ident)
    try:
        return _children(handles, item, filter_, start, count)
    finally:
        _listing.discard(ident)


def _children(handles: Handles, item: Any, filter_: str | None, start: int, count: int) -> list[dict[str, Any]]:
    if isinstance(item, Scope):
        frame = item.frame
        if item.kind == "locals":
            mapping = dict(frame.f_locals)
        else:
            mapping = {k: v for k, v in frame.f_globals.items() if k != "__builtins__"}
        return [describe(handles, k, v, k) for k, v in mapping.items()]
    if not isinstance(item, Value):
        raise KeyError("unknown variables reference")
    value, en = item.value, item.evaluate_name
    header = [header_child(handles, item)] if filter_ == "named" or (filter_ is None and start == 0) else []
    if not has_children(value):
        return header
    n = _length(value)
    if n is not None:
        if filter_ == "named":
            return header + ([describe(handles, "len()", n, None)] if n > PAGE else [])
        end = n if count <= 0 else start + count
        if count <= 0 and filter_ is None and n > PAGE:
            end = start + PAGE
        out: list[dict[str, Any]] = []
        if isinstance(value, dict):
            for i, (k, v) in enumerate(cast("dict[object, object]", value).items()):
                if i >= end:
                    break
                if i >= start:
                    out.append(describe(handles, safe_repr(k), v, _item_name(en, f"[{safe_repr(k)}]")))
        elif isinstance(value, (set, frozenset)):
            for i, v in enumerate(cast("set[object] | frozenset[object]", value)):
                if i >= end:
                    break
                if i >= start:
                    out.append(describe(handles, str(i), v, None))
        else:
            seq = cast("list[object] | tuple[object, ...]", value)
            for i in range(start, min(end, len(seq))):
                out.append(describe(handles, str(i), seq[i], _item_name(en, f"[{i}]")))
        return header + out if filter_ is None else out
    if filter_ == "indexed":
        return []
    return header + [describe(handles, k, v, _item_name(en, f".{k}")) for k, v in attributes(value)]


def header_child(handles: Handles, item: Value) -> dict[str, Any]:
    """The ``⟨object header⟩`` child of a value; its rows are read on the agent thread."""
    return {
        "name": HEADER_CHILD,
        "value": "PEP 703 header: owner thread, biased refcounts, ob_mutex, GC bits",
        "variablesReference": handles.add(ObjectHeader(item)),
        "presentationHint": {"kind": "virtual", "attributes": ["readOnly"]},
    }


def attributes(value: Any) -> list[tuple[str, Any]]:
    """An object's data attributes: its ``__dict__`` and ``__slots__``, else its public non-callables."""
    out: dict[str, Any] = {}
    d: object = getattr(value, "__dict__", None)
    if isinstance(d, (dict, types.MappingProxyType)):
        for k, v in cast("dict[object, object]", d).items():
            if isinstance(k, str):
                out[k] = v
    for cls in type(value).__mro__:
        for slot in getattr(cls, "__slots__", ()) or ():
            if isinstance(slot, str) and slot not in out and hasattr(value, slot):
                out[slot] = getattr(value, slot)
    if not out and not isinstance(value, (types.ModuleType, type)):
        for k in dir(value):
            if k.startswith("_"):
                continue
            try:
                v = getattr(value, k)
            except Exception:
                continue
            if not callable(v):
                out[k] = v
    if isinstance(value, (types.ModuleType, type)) and not out:
        for k in dir(value):
            if not k.startswith("__"):
                try:
                    out[k] = getattr(value, k)
                except Exception:
                    pass
    return list(out.items())


def assign(item: Any, name: str, new_value: Any) -> None:
    """Set the child ``name`` of a handle to ``new_value``."""
    if isinstance(item, Scope):
        if item.kind == "locals":
            item.frame.f_locals[name] = new_value
        else:
            item.frame.f_globals[name] = new_value
        return
    if not isinstance(item, Value):
        raise KeyError("unknown variables reference")
    target: object = item.value
    if isinstance(target, list):
        cast("list[object]", target)[int(name)] = new_value
    elif isinstance(target, dict):
        mapping = cast("dict[object, object]", target)
        for k in mapping:
            if safe_repr(k) == name:
                mapping[k] = new_value
                return
        raise KeyError(f"no key {name} in the dict")
    elif isinstance(target, (tuple, set, frozenset)):
        raise TypeError(f"a {type(item.value).__name__} cannot be changed in place")
    else:
        setattr(target, name, new_value)


def lookup(item: Any, name: str) -> Any:
    """The current value of child ``name`` (after an assignment)."""
    if isinstance(item, Scope):
        return (item.frame.f_locals if item.kind == "locals" else item.frame.f_globals)[name]
    target: object = item.value
    if isinstance(target, list):
        return cast("list[object]", target)[int(name)]
    if isinstance(target, dict):
        for k, v in cast("dict[object, object]", target).items():
            if safe_repr(k) == name:
                return v
    return getattr(item.value, name)
