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
* At the instruction right after a store, the thread reads the target's value (an unbound
  ``dict.__getitem__``/``list.__getitem__``/slot ``__get__``: no frame, no lock when the read
  succeeds) and compares it, by identity, with the last value seen.  A new value is a write by
  *this* thread if the store's receiver, found again in the frame as the bytecode loaded it, is
  the watched container (else another thread wrote between its store and its own callback,
  which reports it): it stops the world right there, showing the store's line (the write has
  happened).  Nothing shared is written unless the value changed.
* The callback touches only immortal strings and tuples (`_make_callback` says why: on 3.13t a
  ``dict.get`` of a key another thread stored costs 7–15 µs).

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

#: What a `Target.reader` raises for a place that holds no value (a missing key, a list slot past
#: the end, an unset slot or cell): it reads as MISSING.
READ_MISSES = (LookupError, AttributeError, ValueError)

#: The C functions the readers are made of (unbound: a subclass's overrides are never called).
_DICT_GETITEM: Any = cast(Any, dict).__getitem__
_DICT_GET: Any = cast(Any, dict).get
_LIST_GETITEM: Any = cast(Any, list).__getitem__
_CELL_CONTENTS: Any = types.CellType.cell_contents  # pyright: ignore[reportAttributeAccessIssue]


def read_with(reader: Callable[[], Any]) -> Any:
    """What ``reader`` (a `Target.reader`) reads, MISSING for a place that holds nothing."""
    try:
        return reader()
    except READ_MISSES:
        return MISSING

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
        """A C callable that returns the current value, or raises one of `READ_MISSES` where
        `read` would say MISSING; it runs on the writing thread after every watched store.

        Lock-free and frame-free where it can be: ``dict.__getitem__`` of an exact dict (an
        entry, a global, an attribute in a ``__dict__``) with an interned key, ``list.__getitem__``,
        a slot's ``__get__``.  Not ``dict.get``: on 3.13t it takes the dict's critical section,
        and when its lock-free read fails (a key or value owned by another thread) the lookup
        takes that same lock again, spinning ~40 ``sched_yield``s before it gets it from itself:
        several µs per call.  A dict subclass keeps ``dict.get`` (its ``__getitem__`` would call
        ``__missing__``, user code)."""
        c: Any = self.container
        key: Any = self.key
        if isinstance(key, str):
            key = sys.intern(key)  # the same object as the dict's own key: matched by identity
        if self.kind in ("dict", "global"):
            if type(c) is dict:
                return functools.partial(_DICT_GETITEM, c, key)
            return functools.partial(_DICT_GET, c, key, MISSING)
        if self.kind == "list":
            return functools.partial(_LIST_GETITEM, c, key)
        if self.kind == "attribute":
            d = getattr(c, "__dict__", None)
            if type(d) is dict and key in d:
                return functools.partial(_DICT_GETITEM, d, key)
            descr = getattr(c.__class__, key, None)
            if isinstance(descr, types.MemberDescriptorType):
                return functools.partial(descr.__get__, c)
        if self.kind == "cell":
            return functools.partial(_CELL_CONTENTS.__get__, c)  # ValueError when empty
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
    #: Does ``condition`` name anything but thread/owner/old/new (so it needs the frame's locals)?
    names_locals: bool = False

    def __post_init__(self) -> None:
        self.reader = self.target.reader()
        self.last[0] = read_with(self.reader)
        self.names_locals = _needs_frame_locals(self.compiled)

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


_CONDITION_NAMES = frozenset({"thread", "owner", "old", "new"})

#: Loads of one name, as the receiver of a store: how to find that value again in the frame.
_NAME_LOADS = {"LOAD_FAST": "local", "LOAD_FAST_CHECK": "local", "LOAD_DEREF": "local",
               "LOAD_GLOBAL": "global", "LOAD_NAME": "name"}
#: Keys a constant can be compared with without running user code.
_PLAIN_KEYS = (str, int, bytes, float, type(None))


def _loaded_name(ins: dis.Instruction, last: bool = True) -> tuple[str, str] | None:
    """(how, name) of the value ``ins`` pushes last (``last``) or first, when it loads one name."""
    if ins.opname == "LOAD_FAST_LOAD_FAST":
        return "local", str(ins.argval[1 if last else 0])
    how = _NAME_LOADS.get(ins.opname)
    return (how, str(ins.argval)) if how is not None else None


def _receiver(instructions: list[dis.Instruction], i: int) -> tuple[str, str] | None:
    """How to find, in the frame right after it, the object the store ``instructions[i]`` wrote
    into (its receiver): ("local" | "global" | "name", its name), ("globals", "") for a store of
    a global name, or None where the bytecode does not say plainly (then any change seen at the
    store counts as this thread's write, as it may be)."""
    ins = instructions[i]
    op = ins.opname
    if op in ("STORE_GLOBAL", "DELETE_GLOBAL"):
        return "globals", ""
    if op in ("STORE_NAME", "DELETE_NAME"):
        return "names", ""
    if i < 2 or ins.is_jump_target:
        return None
    prev = instructions[i - 1]
    if op in ("STORE_ATTR", "DELETE_ATTR"):
        if prev.opname == "SWAP" and prev.arg == 2:
            # obj.name += …: LOAD obj; COPY 1; LOAD_ATTR name; …; SWAP 2; STORE_ATTR name.
            for j in range(i - 2, 0, -1):
                c = instructions[j]
                if c.opname == "COPY" and c.arg == 1 and instructions[j + 1].opname == "LOAD_ATTR" \
                        and instructions[j + 1].argval == ins.argval:
                    return _loaded_name(instructions[j - 1]) if not c.is_jump_target else None
            return None
        return _loaded_name(prev)
    if op in ("STORE_SUBSCR", "DELETE_SUBSCR"):
        if prev.opname == "LOAD_FAST_LOAD_FAST":
            return _loaded_name(prev, last=False)  # LOAD_FAST_LOAD_FAST (container, key)
        if prev.is_jump_target or not (prev.opname == "LOAD_CONST" or prev.opname in _NAME_LOADS):
            return None
        return _loaded_name(instructions[i - 2])
    return None


def _constant_key(instructions: list[dis.Instruction], i: int) -> tuple[bool, Any]:
    """(True, key) when the subscript store ``instructions[i]`` always uses one constant key."""
    prev = instructions[i - 1] if i > 0 else None
    if prev is not None and prev.opname == "LOAD_CONST" and not instructions[i].is_jump_target:
        return True, prev.argval
    return False, None


def _never_this_key(target: "Target", instructions: list[dis.Instruction], i: int) -> bool:
    """Can this subscript store be told, from its constant key, never to write ``target``?"""
    if target.kind not in ("dict", "list") or instructions[i].opname == "STORE_SLICE":
        return False
    known, key = _constant_key(instructions, i)
    if not known or type(key) not in _PLAIN_KEYS or type(target.key) not in _PLAIN_KEYS:
        return False
    if target.kind == "list":  # a negative index may name the watched slot
        return isinstance(key, int) and key >= 0 and key != target.key
    return key != target.key


def _wrote_into(frame: types.FrameType, how: str, name: str, target: "Target") -> bool:
    """Is the receiver a store found with (how, name) the watched container?  Run only when a
    change was seen, to tell this thread's write from another thread's write that happened
    between that thread's store and its own callback."""
    if how == "globals":
        found: Any = frame.f_globals
    elif how == "names":
        found = frame.f_locals
    else:
        try:
            if how == "local":
                found = frame.f_locals[name]
            elif how == "name" and name in frame.f_locals:
                found = frame.f_locals[name]
            else:
                g = frame.f_globals
                found = g[name] if name in g else frame.f_builtins[name]
        except KeyError:
            return True  # cannot tell: count it
    container = target.container
    if found is container:
        return True
    # A module's global set as ``module.name = …``: the receiver is the module.
    return target.kind == "global" and getattr(found, "__dict__", None) is container


def _needs_frame_locals(compiled: types.CodeType | None) -> bool:
    """Does a condition look up any name but the four it is given (in it, or in a lambda or
    comprehension inside it)?  Those names may be the writing frame's locals."""
    if compiled is None:
        return False
    codes = [compiled]
    while codes:
        code = codes.pop()
        if not set(code.co_names) | set(code.co_freevars) <= _CONDITION_NAMES:
            return True
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return False


#: What one store site may have changed: (reader, last value box, breakpoint, how to find the
#: store's receiver or None) tuples.
_Watch = tuple[tuple[Callable[[], Any], list[Any], DataBreakpoint, tuple[str, str] | None], ...]
#: One watched code object as the callback sees it: (code, the offset of the instruction after
#: each store site, what each of those may have changed, the line of each store).  Plain tuples:
#: reading a tuple's items from another thread is a plain incref, never the slow path a dict or
#: an attribute can take.
_Entry = tuple[types.CodeType, tuple[int, ...], tuple[_Watch, ...], tuple[int, ...]]


@dataclass
class _Sites:
    """One watched code object and its store sites."""

    code: types.CodeType
    entry: _Entry


class DataBreakpoints:
    """The data breakpoints of one session, and the ``sys.monitoring`` tool that sees writes."""

    def __init__(self, registry: CodeRegistry, threads: ThreadRegistry,
                 stop: Callable[[ThreadState, types.FrameType, StopInfo, list[tuple[types.FrameType, int]]], None],
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
        #: id(code) -> its sites, for this module's bookkeeping (never read by the callback).
        self._sites: dict[int, _Sites] = {}
        #: co_qualname -> the entries of the watched code objects of that name: the callback's
        #: table, held in its closure (re-registered when replaced; a module imported later is
        #: added in place).  Keyed by the interned, immortal qualname, not by ``id(code)``: on
        #: 3.13t a lookup whose stored key is an int owned by another thread (the agent's) always
        #: misses the lock-free path, which costs several µs.
        self._table: dict[str, tuple[_Entry, ...]] = {}
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
        afters: dict[int, list[tuple[Callable[[], Any], list[Any], DataBreakpoint, tuple[str, str] | None]]] = {}
        #: The store's own line: the instruction after it may start the next line (after a
        #: ``del x.a``, or the last store of a block), and the stop must show the line that wrote.
        lines: dict[int, int] = {}
        instructions = list(dis.get_instructions(code))
        for i, ins in enumerate(instructions):
            hit = [bp for bp, ops, nm in relevant if ins.opname in ops and (nm is None or ins.argval == nm)
                   and not _never_this_key(bp.target, instructions, i)]
            if hit and i + 1 < len(instructions):
                after = instructions[i + 1].offset
                lines.setdefault(after, ins.line_number or instructions[i + 1].line_number or code.co_firstlineno)
                watch = afters.setdefault(after, [])
                receiver = _receiver(instructions, i)
                for bp in hit:
                    if all(w[2] is not bp for w in watch):
                        watch.append((bp.reader, bp.last, bp, receiver))
        if not afters:
            return None
        return _Sites(code, (code, tuple(afters), tuple(tuple(w) for w in afters.values()), tuple(lines[a] for a in afters)))

    @staticmethod
    def _add(table: dict[str, tuple[_Entry, ...]], s: _Sites) -> None:
        name = s.code.co_qualname
        table[name] = (*(e for e in table.get(name, ()) if e[0] is not s.code), s.entry)

    def _rebind(self) -> None:
        bps = list(self.active)
        sites: dict[int, _Sites] = {}
        table: dict[str, tuple[_Entry, ...]] = {}
        if bps:
            for code in self._registry.all_codes(self._wanted):
                s = self._sites_for(code, bps)
                if s is not None:
                    sites[id(code)] = s
                    self._add(table, s)
        with self._lock:
            old = self._sites
            self._sites = sites
            self._table = table
            if bps:
                self._install()
            mon = sys.monitoring
            if self.tool >= 0:
                mon.register_callback(self.tool, mon.events.INSTRUCTION, self._make_callback(table))
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
                        self._add(self._table, s)
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

    def _make_callback(self, table: dict[str, tuple[_Entry, ...]]) -> Callable[[types.CodeType, int], Any]:
        """The INSTRUCTION callback.  After the first call at each instruction (DISABLE for all
        but the store sites) it runs only right after a store that may have written a watched
        place, on the writing thread, so it does the least it can: everything it reaches is in
        its closure, an immortal string or a tuple.  On 3.13t a dict lookup whose stored key is
        owned by another thread never takes the lock-free path, and a ``dict.get`` that misses
        it spins on its own lock (~7 µs a call: the cost this module had before)."""
        DISABLE = sys.monitoring.DISABLE
        getframe = sys._getframe  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
        misses = READ_MISSES
        wrote_into = _wrote_into
        hit = self._hit

        def instruction(code: types.CodeType, offset: int) -> Any:
            try:
                entries = table[code.co_qualname]
            except KeyError:
                return DISABLE
            for c, offsets, watches, lines in entries:
                if c is code:
                    break
            else:
                return DISABLE
            try:
                site = offsets.index(offset)
            except ValueError:
                return DISABLE  # not right after a store site: never again
            watch = watches[site]
            changed: list[tuple[DataBreakpoint, Any, Any]] | None = None
            for read, last, bp, receiver in watch:
                try:
                    new = read()
                except misses:
                    new = MISSING
                old = last[0]
                if new is not old:
                    if receiver is not None and not wrote_into(getframe(1), receiver[0], receiver[1], bp.target):
                        # Another thread's write, between its store and its own callback; that
                        # callback reports it (so ``last`` stays as it was).
                        continue
                    last[0] = new
                    if changed is None:
                        changed = []
                    changed.append((bp, old, new))
            if changed is not None:
                try:
                    hit(changed, getframe(1), lines[site])
                except Exception as exc:  # a debugger bug must never surface in the user's code
                    from ..tracing.callback_errors import internal_error

                    internal_error(exc)
            return None

        return instruction

    # A hit.

    def _hit(self, changed: list[tuple[DataBreakpoint, Any, Any]], frame: types.FrameType, line: int) -> None:
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
        # The writing frame on the store's line, then its callers as the Call Stack shows them.
        stack = [(frame, line)]
        f = frame.f_back
        while f is not None:
            if not is_internal(f.f_code.co_filename):
                stack.append((f, f.f_lineno or f.f_code.co_firstlineno))
            f = f.f_back
        self._stop(ts, frame, StopInfo("data breakpoint", ts, hit_ids=[bp.id for bp, _, _ in hits],
                                       description=description, text=description), stack)

    def _condition(self, bp: DataBreakpoint, frame: types.FrameType, ts: ThreadState, old: Any, new: Any) -> bool:
        # Copying the frame's locals is most of a condition's cost; `thread != owner` needs none.
        names: dict[str, Any] = dict(frame.f_locals) if bp.names_locals else {}
        names.update(thread=ts.name, owner=bp.target.owner_name, old=old, new=new)
        try:
            return bool(eval(cast(types.CodeType, bp.compiled), frame.f_globals, names))
        except Exception as exc:
            self._send_event("output", {
                "category": "console",
                "output": f"Data breakpoint condition {bp.condition!r} raised {type(exc).__name__}: {exc}; stopping.\n",
            })
            return True
