"""What a Variables-pane row names, as a data breakpoint target (DAP ``dataBreakpointInfo``).

A row is a child ``name`` of a handle: a local or global of a frame's scope, an entry of a dict,
a slot of a list, an attribute of an object.  This finds the place that holds its value (the
container and the key) for `debugger.databreakpoints`.  It may call ``repr`` on dict keys (the
pane names entries by their repr), so it runs on a parked user thread, as the pane does.
A closure cell is found through the frame's ``localsplus`` (`find_cell`).
"""

from __future__ import annotations

import ctypes
import gc
import sys
import types
from typing import Any, cast

from .variables import Scope, Value, safe_repr

#: What a row names: (kind, container, key, label), for ``DataBreakpoints.make_target``.
Spec = tuple[str, Any, Any, str]


#: Offsets in 3.13's frame structs (checked by `_cell_slots_work` before use): PyFrameObject's
#: ``f_frame`` after the 32-byte free-threaded header and ``f_back``; _PyInterpreterFrame's
#: ``localsplus`` after its nine fields.
_F_FRAME_OFFSET = 40
_LOCALSPLUS_OFFSET = 72


def _slot_index(code: types.CodeType, name: str) -> int | None:
    """Where ``name``'s cell lives in the frame's ``localsplus`` (3.11+ layout)."""
    varnames = code.co_varnames
    if name in varnames:
        return varnames.index(name)
    extra_cells = [c for c in code.co_cellvars if c not in varnames]
    if name in extra_cells:
        return len(varnames) + extra_cells.index(name)
    if name in code.co_freevars:
        return len(varnames) + len(extra_cells) + code.co_freevars.index(name)
    return None


def find_cell(frame: types.FrameType, name: str) -> types.CellType | None:
    """The cell object behind ``name`` in a running ``frame`` (a cell or free variable).

    Python gives no way to the cell from a frame, so this reads the pointer in the frame's
    ``localsplus`` slot and picks, among the live cell objects the GC knows, the one at that
    address.  Nothing read is ever turned into an object: a wrong layout finds no cell.
    """
    if sys.version_info[:2] != (3, 13):
        return None
    index = _slot_index(frame.f_code, name)
    if index is None:
        return None
    iframe = ctypes.c_void_p.from_address(id(frame) + _F_FRAME_OFFSET).value
    if not iframe:
        return None
    address = ctypes.c_void_p.from_address(iframe + _LOCALSPLUS_OFFSET + 8 * index).value
    for obj in gc.get_objects():
        if isinstance(obj, types.CellType) and id(obj) == address:
            return obj
    return None


def target_for(item: Any, name: str) -> tuple[Spec | None, str]:
    """The target that row ``name`` of handle ``item`` names, or None and why it cannot be watched."""
    if isinstance(item, Scope):
        frame = item.frame
        if item.kind == "globals":
            module = frame.f_globals.get("__name__", "?")
            return ("global", frame.f_globals, name, f"{module}.{name}"), ""
        code = frame.f_code
        if name in code.co_cellvars or name in code.co_freevars:
            cell = find_cell(frame, name)
            if cell is None:
                return None, f"the cell of {name!r} could not be found"
            return ("cell", cell, name, f"{name} (closure cell of {code.co_qualname})"), ""
        if not code.co_flags & 0x1:  # not CO_OPTIMIZED: module or class body, locals are a dict
            return ("global", frame.f_globals, name, f"{frame.f_globals.get('__name__', '?')}.{name}"), ""
        return None, (f"{name!r} is a plain local variable of {code.co_qualname}(): only its own frame can change it. "
                      "Watch an attribute, a dict entry, a list slot, a global or a closure variable")
    if not isinstance(item, Value):
        return None, "this row has no value to watch"
    value: object = item.value
    label = item.evaluate_name or type(value).__qualname__
    if isinstance(value, dict):
        mapping = cast("dict[object, object]", value)
        for k in list(mapping):
            if safe_repr(k) == name:
                return ("dict", mapping, k, f"{label}[{name}]"), ""
        return None, f"no key {name} in the dict"
    if isinstance(value, list):
        try:
            index = int(name)
        except ValueError:
            return None, f"{name!r} is not a slot of the list"
        return ("list", cast("list[object]", value), index, f"{label}[{index}]"), ""
    if isinstance(value, (tuple, str, bytes, frozenset, set, int, float)):
        return None, f"a {type(cast(object, value)).__name__} cannot change in place"
    if isinstance(value, types.ModuleType):
        return ("global", vars(value), name, f"{value.__name__}.{name}"), ""
    d = getattr(value, "__dict__", None)
    has_slot = isinstance(getattr(type(value), name, None), types.MemberDescriptorType)
    if (isinstance(d, dict) and name in d) or has_slot:
        return ("attribute", value, name, f"{label}.{name}"), ""
    return None, f"{name!r} is not a data attribute of this {type(value).__qualname__}"
