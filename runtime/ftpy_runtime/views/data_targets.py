"""What a Variables-pane row names, as a data breakpoint target (DAP ``dataBreakpointInfo``).

A row is a child ``name`` of a handle: a local or global of a frame's scope, an entry of a dict,
a slot of a list, an attribute of an object.  This finds the place that holds its value (the
container and the key) for `debugger.databreakpoints`.  It may call ``repr`` on dict keys (the
pane names entries by their repr), so it runs on a parked user thread, as the pane does.
"""

from __future__ import annotations

import types
from typing import Any, cast

from ..debugger.databreakpoints import DataBreakpoints, Target, find_cell
from ..world.threads import ThreadState
from .variables import Scope, Value, safe_repr


def target_for(db: DataBreakpoints, item: Any, name: str, selected: ThreadState | None) -> tuple[Target | None, str]:
    """The target that row ``name`` of handle ``item`` names, or None and why it cannot be watched."""
    if isinstance(item, Scope):
        frame = item.frame
        if item.kind == "globals":
            module = frame.f_globals.get("__name__", "?")
            return db.make_target("global", frame.f_globals, name, f"{module}.{name}", selected), ""
        code = frame.f_code
        if name in code.co_cellvars or name in code.co_freevars:
            cell = find_cell(frame, name)
            if cell is None:
                return None, f"the cell of {name!r} could not be found"
            return db.make_target("cell", cell, name, f"{name} (closure cell of {code.co_qualname})", selected), ""
        if not code.co_flags & 0x1:  # not CO_OPTIMIZED: module or class body, locals are a dict
            return db.make_target("global", frame.f_globals, name, f"{frame.f_globals.get('__name__', '?')}.{name}",
                                  selected), ""
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
                return db.make_target("dict", mapping, k, f"{label}[{name}]", selected), ""
        return None, f"no key {name} in the dict"
    if isinstance(value, list):
        try:
            index = int(name)
        except ValueError:
            return None, f"{name!r} is not a slot of the list"
        return db.make_target("list", value, index, f"{label}[{index}]", selected), ""
    if isinstance(value, (tuple, str, bytes, frozenset, set, int, float)):
        return None, f"a {type(cast(object, value)).__name__} cannot change in place"
    if isinstance(value, types.ModuleType):
        return db.make_target("global", vars(value), name, f"{value.__name__}.{name}", selected), ""
    d = getattr(value, "__dict__", None)
    has_slot = isinstance(getattr(type(value), name, None), types.MemberDescriptorType)
    if (isinstance(d, dict) and name in d) or has_slot:
        return db.make_target("attribute", value, name, f"{label}.{name}", selected), ""
    return None, f"{name!r} is not a data attribute of this {type(value).__qualname__}"
