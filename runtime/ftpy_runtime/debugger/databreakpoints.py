"""Data breakpoints: stop the world when a watched attribute, dict entry, list slot, module
global or closure cell gets a new value, with the writing thread selected.

How a write is seen (the mechanism, chosen after measuring the others; see the README's "Data
breakpoints" section for the numbers):

* Each kind of target can only be written by a few instructions: ``STORE_ATTR``/``DELETE_ATTR``
  of its name (an attribute, or a module global set from another module), ``STORE_SUBSCR``/
  ``DELETE_SUBSCR``/``STORE_SLICE`` (a dict entry, a list slot), ``STORE_GLOBAL``/``STORE_NAME``
  of its name (a global), ``STORE_DEREF``/``DELETE_DEREF`` of its name (a closure cell).
* While a data breakpoint is set, this module holds a ``sys.monitoring`` tool id of its own and
  turns on INSTRUCTION events *only in the code objects that contain such a store* (found in
  the code registry, and in modules imported later).  The first time each other instruction of
  those code objects reports, it answers DISABLE, so from then on only the instruction right
  after each store calls back.  Code without such a store never calls back at all:
  a program that does not touch the watched name runs at full speed.
* At the instruction right after a store, the thread reads the target's value (a bound
  ``dict.get`` where it can) and compares it, by identity, with the last value seen.  A new
  value is a write by *this* thread: it stops the world right there (the write has happened;
  its frame is on the line that wrote).  Nothing shared is written unless the value changed.

So what is caught is a *change of value* made by Python code (``obj.x = 1`` when ``x`` was
already ``1`` is not a change, as VS Code's "Break on Value Change" says); writes made by C code
(``setattr()``, ``dict.update()``, ``list.sort()``) are not seen.  Only ``write`` is supported:
a read leaves nothing to compare.

The thread filter is the breakpoint's ``condition``: a Python expression evaluated in the
writing frame, with four more names: ``thread`` (the writing thread's name), ``owner`` (the
name of the thread that owns the watched container: its PEP 703 ``ob_tid``, else the thread
that was selected when the breakpoint was made), ``old`` and ``new``.  ``thread != owner`` stops
only when another thread writes; ``thread == "worker-2"`` only for that thread.

"""

from __future__ import annotations

import _thread
import ctypes
import dis
import functools
import reprlib
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from ..user_code import is_internal, is_user
from ..world.stopping import StopInfo
from ..world.threads import ThreadRegistry, ThreadState
from .breakpoints import HitCondition
from .code_registry import CodeRegistry, walk

#: The value of a target that has none (a missing key, an empty cell, a deleted attribute).
class _Missing:
    def __repr__(self) -> str:
        return "<unset>"


MISSING: Any = _Missing()

#: Tool ids this module may take, in order (the tracing backend takes from the front of 0, 1, 3…).
_TOOL_IDS = (5, 4, 3, 1)

_ATTR_OPS = frozenset({"STORE_ATTR", "DELETE_ATTR"})
_SUBSCR_OPS = frozenset({"STORE_SUBSCR", "DELETE_SUBSCR", "STORE_SLICE"})
_GLOBAL_OPS = frozenset({"STORE_GLOBAL", "DELETE_GLOBAL", "STORE_NAME", "DELETE_NAME", "STORE_ATTR", "DELETE_ATTR"})
_CELL_OPS = frozenset({"STORE_DEREF", "DELETE_DEREF"})

_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80


def short_repr(value: object) -> str:
    try:
        return _repr.repr(value)
    except Exception as exc:
        return f"<repr() failed: {type(exc).__name__}>"


@dataclass(eq=False)
class Target:
    """Something a data breakpoint can watch: a place that holds one value."""

    kind: str  # "attribute" | "dict" | "list" | "global" | "cell"
    container: Any
    key: Any
    #: How the Variables pane names it ("c.value", "d['k']", "items[3]", "module.g", "cell n").
    label: str
    #: The thread that owns the container (ob_tid, else the thread selected when it was made).
    owner_ident: int
    owner_name: str

    def read(self) -> Any:
        """The current value, without running user code where that can be avoided."""
        c: Any = self.container
        try:
            if self.kind == "attribute":
                d = getattr(c, "__dict__", None)
                if isinstance(d, dict) and self.key in d:
                    return cast("dict[str, Any]", d)[self.key]
                cls: Any = c.__class__
                descr = getattr(cls, self.key, None)
                if isinstance(descr, types.MemberDescriptorType):
                    return descr.__get__(c, cls)
                return MISSING
            if self.kind in ("dict", "global"):
                return cast("dict[Any, Any]", c).get(self.key, MISSING)
            if self.kind == "list":
                lst = cast("list[Any]", c)
                return lst[self.key] if self.key < len(lst) else MISSING
            return cast("types.CellType", c).cell_contents
        except (ValueError, IndexError, AttributeError, KeyError, TypeError):
            return MISSING

    def reader(self) -> Callable[[], Any]:
        """A callable that returns the current value as `read` does, as cheaply as it can: a
        bound ``dict.get`` for dict entries, globals and attributes kept in a ``__dict__``."""
        c: Any = self.container
        if self.kind in ("dict", "global"):
            return functools.partial(cast("dict[Any, Any]", c).get, self.key, MISSING)
        if self.kind == "attribute":
            d = getattr(c, "__dict__", None)
            if isinstance(d, dict) and self.key in d:
                return functools.partial(cast("dict[str, Any]", d).get, self.key, MISSING)
        return self.read

    def site_ops(self) -> tuple[frozenset[str], str | None]:
        """The opcodes that can write this target, and the name they must carry (None: any)."""
        if self.kind == "attribute":
            return _ATTR_OPS, str(self.key)
        if self.kind == "global":
            return _GLOBAL_OPS, str(self.key)
        if self.kind == "cell":
            return _CELL_OPS, str(self.key)
        return _SUBSCR_OPS, None


@dataclass(eq=False)
class DataBreakpoint:
    id: int
    data_id: str
    target: Target
    condition: str | None = None
    hit_condition: HitCondition | None = None
    #: ``condition``, compiled once when set.
    compiled: types.CodeType | None = None
    hits: int = 0
    lock: Any = field(default_factory=_thread.allocate_lock)
    #: Reads the target's value fast (no Python frame for dicts, attributes and globals).
    reader: Callable[[], Any] = field(default=lambda: MISSING)
    #: The value last seen, in a box the callback updates: a change is a new object here.
    last: list[Any] = field(default_factory=lambda: [MISSING])

    def __post_init__(self) -> None:
        self.reader = self.target.reader()
        self.last[0] = self.reader()

    def count_hit(self) -> int:
        with self.lock:
            self.hits += 1
            return self.hits

    def to_dap(self) -> dict[str, Any]:
        return {"id": self.id, "verified": True, "description": f"{self.target.label} ({self.target.kind})",
                "message": f"stops when {self.target.label} changes" + (f" and {self.condition}" if self.condition else
                           "; the condition 'thread != owner' stops only on other threads' writes")}


def object_owner(obj: object) -> int:
    """The PEP 703 ``ob_tid`` of ``obj`` (the thread that owns it), or 0 (a GIL build, immortal,
    merged)."""
    import sysconfig

    if not sysconfig.get_config_var("Py_GIL_DISABLED"):
        return 0
    return ctypes.c_uint64.from_address(id(obj)).value


@dataclass
class _Sites:
    """One watched code object: the instruction after each store site (offset -> what the store
    may have changed, as (reader, last value box, breakpoint) triples)."""

    code: types.CodeType
    afters: dict[int, tuple[tuple[Callable[[], Any], list[Any], DataBreakpoint], ...]]


class DataBreakpoints:
    """The data breakpoints of one session, and the ``sys.monitoring`` tool that sees writes."""

    def __init__(self, registry: CodeRegistry, threads: ThreadRegistry,
                 stop: Callable[[ThreadState, types.FrameType, StopInfo], None],
                 send_event: Callable[[str, dict[str, Any]], None],
                 just_my_code: Callable[[], bool]) -> None:
        self._registry = registry
        self._threads = threads
        self._stop = stop
        self._send_event = send_event
        self._just_my_code = just_my_code
        self._lock = _thread.allocate_lock()
        #: dataId -> target, for the targets dataBreakpointInfo described (kept for the session,
        #: the last 256 and those set, so a dataId stays good after the program resumes).
        self._targets: dict[str, Target] = {}
        self._next_target = 1
        self._next_id = 100_000  # data breakpoint ids, apart from the line breakpoints' ones
        self.active: list[DataBreakpoint] = []
        #: id(code) -> its sites.  The callback holds this dict in a closure (re-registered when
        #: it is replaced); a module imported later is added in place.
        self._sites: dict[int, _Sites] = {}
        self.tool = -1
        registry.add_listener(self._on_new_code)

    # dataBreakpointInfo.

    def describe(self, target: Target | None, reason: str | None = None) -> dict[str, Any]:
        """The dataBreakpointInfo answer for ``target`` (None: it cannot be watched, because ``reason``)."""
        if target is None:
            return {"dataId": None, "description": reason or "this value cannot be watched"}
        with self._lock:
            data_id = f"ftpy-data-{self._next_target}"
            self._next_target += 1
            self._targets[data_id] = target
            keep = {bp.data_id for bp in self.active}
            if len(self._targets) > 256:
                for old in list(self._targets)[: len(self._targets) - 256]:
                    if old not in keep:
                        del self._targets[old]
        return {
            "dataId": data_id,
            "description": f"{target.label} (owned by thread '{target.owner_name}')",
            "accessTypes": ["write"],
            "canPersist": False,
        }

    def make_target(self, kind: str, container: Any, key: Any, label: str, selected: ThreadState | None) -> Target:
        owner = object_owner(container)
        ts = self._threads.by_ident.get(owner) if owner else None
        if ts is None and selected is not None:
            ts = selected
        ident = ts.ident if ts is not None else owner
        name = ts.name if ts is not None else f"Thread-{owner}"
        return Target(kind, container, key, label, ident, name)

    # setDataBreakpoints.

    def set(self, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace every data breakpoint with ``specs`` (DAP DataBreakpoint objects)."""
        out: list[dict[str, Any]] = []
        chosen: list[DataBreakpoint] = []
        for spec in specs:
            data_id = spec.get("dataId")
            target = self._targets.get(data_id) if isinstance(data_id, str) else None
            access = spec.get("accessType") or "write"
            if target is None or not isinstance(data_id, str):
                out.append({"verified": False, "message": f"unknown dataId {data_id!r} (ask dataBreakpointInfo again)"})
                continue
            if access != "write":
                out.append({"verified": False, "message": f"access type {access!r} is not supported: only 'write'"})
                continue
            condition = spec.get("condition")
            hit_text = spec.get("hitCondition")
            try:
                hit = HitCondition(hit_text) if isinstance(hit_text, str) and hit_text.strip() else None
                compiled = None
                if isinstance(condition, str) and condition.strip():
                    compiled = compile(condition, "<data breakpoint condition>", "eval")
                else:
                    condition = None
            except (ValueError, SyntaxError) as exc:
                out.append({"verified": False, "message": str(exc)})
                continue
            with self._lock:
                self._next_id += 1
                bp = DataBreakpoint(self._next_id, data_id, target, condition, hit, compiled=compiled)
            chosen.append(bp)
            out.append(bp.to_dap())
        self.active = chosen
        self._rebind()
        return out

    def clear(self) -> None:
        self.active = []
        self._rebind()

    # Where writes can happen.

    def _wanted(self, code: types.CodeType) -> bool:
        name = code.co_filename
        return not is_internal(name) and is_user(name, self._just_my_code())

    def _sites_for(self, code: types.CodeType, bps: list[DataBreakpoint]) -> _Sites | None:
        names = set(code.co_names) | set(code.co_cellvars) | set(code.co_freevars)
        relevant = [(bp, *bp.target.site_ops()) for bp in bps]
        relevant = [r for r in relevant if r[2] is None or r[2] in names]
        if not relevant:
            return None
        afters: dict[int, list[tuple[Callable[[], Any], list[Any], DataBreakpoint]]] = {}
        instructions = list(dis.get_instructions(code))
        for i, ins in enumerate(instructions):
            hit = [bp for bp, ops, nm in relevant if ins.opname in ops and (nm is None or ins.argval == nm)]
            if hit and i + 1 < len(instructions):
                watch = afters.setdefault(instructions[i + 1].offset, [])
                for bp in hit:
                    if all(w[2] is not bp for w in watch):
                        watch.append((bp.reader, bp.last, bp))
        if not afters:
            return None
        return _Sites(code, {k: tuple(v) for k, v in afters.items()})

    def _rebind(self) -> None:
        bps = list(self.active)
        sites: dict[int, _Sites] = {}
        if bps:
            for code in self._registry.all_codes(self._wanted):
                s = self._sites_for(code, bps)
                if s is not None:
                    sites[id(code)] = s
        with self._lock:
            old = self._sites
            self._sites = sites
            if bps:
                self._install()
            mon = sys.monitoring
            if self.tool >= 0:
                mon.register_callback(self.tool, mon.events.INSTRUCTION, self._make_callback(sites))
                for key, s in old.items():
                    if key not in sites:
                        mon.set_local_events(self.tool, s.code, 0)
                for s in sites.values():
                    mon.set_local_events(self.tool, s.code, mon.events.INSTRUCTION)
                mon.restart_events()
            if not bps:
                self._uninstall()

    def _on_new_code(self, filename: str, code: types.CodeType) -> None:
        """A module was compiled: watch its store sites too."""
        bps = list(self.active)
        if not bps or self.tool < 0:
            return
        for c in walk(code):
            if self._wanted(c):
                s = self._sites_for(c, bps)
                if s is not None:
                    with self._lock:
                        self._sites[id(c)] = s
                        if self.tool >= 0:
                            sys.monitoring.set_local_events(self.tool, c, sys.monitoring.events.INSTRUCTION)

    # The sys.monitoring tool.

    def _install(self) -> None:
        if self.tool >= 0:
            return
        mon = sys.monitoring
        for tool in _TOOL_IDS:
            if mon.get_tool(tool) is None:
                mon.use_tool_id(tool, "ftpy data breakpoints")
                self.tool = tool
                break
        else:
            raise RuntimeError("every sys.monitoring tool id is taken; data breakpoints need one of their own")

    def _uninstall(self) -> None:
        tool = self.tool
        if tool < 0:
            return
        mon = sys.monitoring
        mon.register_callback(tool, mon.events.INSTRUCTION, None)
        mon.free_tool_id(tool)
        self.tool = -1

    def _make_callback(self, sites: dict[int, _Sites]) -> Callable[[types.CodeType, int], Any]:
        """The INSTRUCTION callback.  Everything it reaches is in its closure or in the site
        tuples: on 3.13t attribute lookups are unspecialised and every shared object it touched
        would be a contention point, so it does the least it can."""
        DISABLE = sys.monitoring.DISABLE
        getframe = sys._getframe  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
        get = sites.get
        hit = self._hit

        def instruction(code: types.CodeType, offset: int) -> Any:
            s = get(id(code))
            if s is None:
                return DISABLE
            watch = s.afters.get(offset)
            if watch is None:
                return DISABLE
            changed: list[tuple[DataBreakpoint, Any, Any]] | None = None
            for read, last, bp in watch:
                new = read()
                old = last[0]
                if new is not old:
                    last[0] = new
                    if changed is None:
                        changed = []
                    changed.append((bp, old, new))
            if changed is not None:
                try:
                    hit(changed, getframe(1))
                except Exception as exc:  # a debugger bug must never surface in the user's code
                    from ..tracing.callback_errors import internal_error

                    internal_error(exc)
            return None

        return instruction

    # A hit.

    def _hit(self, changed: list[tuple[DataBreakpoint, Any, Any]], frame: types.FrameType) -> None:
        ts = self._threads.current()
        if ts.parked:
            return  # debugger work on a parked thread (never traced, but be sure)
        hits: list[tuple[DataBreakpoint, Any, Any]] = []
        for bp, old, new in changed:
            if bp not in self.active:
                continue
            if bp.condition and not self._condition(bp, frame, ts, old, new):
                continue
            n = bp.count_hit()
            if bp.hit_condition is not None and not bp.hit_condition.matches(n):
                continue
            hits.append((bp, old, new))
        if not hits:
            return
        parts = [f"{bp.target.label} changed from {short_repr(old)} to {short_repr(new)}" for bp, old, new in hits]
        description = f"Paused on data breakpoint: {'; '.join(parts)} (written by thread '{ts.name}')"
        self._stop(ts, frame, StopInfo("data breakpoint", ts, hit_ids=[bp.id for bp, _, _ in hits],
                                       description=description, text=description))

    def _condition(self, bp: DataBreakpoint, frame: types.FrameType, ts: ThreadState, old: Any, new: Any) -> bool:
        names = dict(frame.f_locals)
        names.update(thread=ts.name, owner=bp.target.owner_name, old=old, new=new)
        try:
            return bool(eval(cast(types.CodeType, bp.compiled), frame.f_globals, names))
        except Exception as exc:
            self._send_event("output", {
                "category": "console",
                "output": f"Data breakpoint condition {bp.condition!r} raised {type(exc).__name__}: {exc}; stopping.\n",
            })
            return True
