"""What each operation of a built-in container does, and which objects are containers at all.

The rewriter hooks every method name listed here (``CONTAINER_METHODS``); the detector looks
the receiver's type up (``model_of``) and classifies the call:

* ``KEY_READ``:  a per-key read (``d.get(k)``)
* ``KEY_WRITE``: a per-key write that also changes the contents (``d.setdefault(k, v)``)
* ``ANY_WRITE``: removes or replaces entries it chooses itself (``popitem``, ``clear``): a write
  of the contents that conflicts with every per-key read too
* ``WHOLE_READ``: reads every element (``copy``, ``index``)
* ``WHOLE_WRITE``: any other mutation (``sort``, ``rotate``, ``move_to_end``, ``+=``)

The table is written out, not computed at run time; ``test_race_containers.py`` derives the
mutating methods from the types themselves (it calls every method on a sample and sees
whether the contents changed) and fails when one is missing here.

A subclass keeps its base's model, except for the operations it implements in Python: a
``dict`` subclass whose ``__setitem__`` is a Python function makes ``obj[k] = v`` a call, and
only the accesses that method makes count (``python_overrides``).  The same holds for user
classes that implement ``__getitem__``/``__setitem__``/``__delitem__`` in Python, and for
properties and other Python descriptors: they are calls, not fields.

``key_hash`` is how the per-access hook turns a key into an int without running user code:
only keys whose hash is computed in C (str, int, float, bytes, None, identity-hashed objects,
tuples and frozensets of those) are hashed; any other key is ``UNKNOWN_KEY``.
"""

from __future__ import annotations

import collections
import enum
import types
from typing import Any

KEY_READ, KEY_WRITE, ANY_WRITE, WHOLE_READ, WHOLE_WRITE = 1, 2, 3, 4, 5

# A key whose hash the detector does not know (it would have to run user code to learn it).
# hash() never returns -1 (NOKEY); a key whose real hash is this value (2**-64 odds) is
# folded onto its neighbour by key_hash, and would merely be unchecked on the fast path.
UNKNOWN_KEY = -0x5A5A5A5A5A5A5A5B

_LIST_LIKE_WRITES = {
    "append": WHOLE_WRITE, "extend": WHOLE_WRITE, "insert": WHOLE_WRITE, "pop": WHOLE_WRITE,
    "remove": WHOLE_WRITE, "clear": WHOLE_WRITE, "reverse": WHOLE_WRITE,
    "__iadd__": WHOLE_WRITE, "__imul__": WHOLE_WRITE,
}
_LIST_LIKE_READS = {"copy": WHOLE_READ, "index": WHOLE_READ, "count": WHOLE_READ}

LIST = {**_LIST_LIKE_WRITES, **_LIST_LIKE_READS, "sort": WHOLE_WRITE}
BYTEARRAY = {**_LIST_LIKE_WRITES, **_LIST_LIKE_READS}
DEQUE = {**_LIST_LIKE_WRITES, **_LIST_LIKE_READS, "appendleft": WHOLE_WRITE,
         "extendleft": WHOLE_WRITE, "popleft": WHOLE_WRITE, "rotate": WHOLE_WRITE}
DICT = {
    "get": KEY_READ, "setdefault": KEY_WRITE, "pop": KEY_WRITE, "popitem": ANY_WRITE,
    "clear": ANY_WRITE, "update": WHOLE_WRITE, "__ior__": WHOLE_WRITE,
    "copy": WHOLE_READ, "keys": WHOLE_READ, "values": WHOLE_READ, "items": WHOLE_READ,
}
ORDERED_DICT = {**DICT, "move_to_end": KEY_WRITE}
DEFAULT_DICT = dict(DICT)
SET = {
    "add": KEY_WRITE, "discard": KEY_WRITE, "remove": KEY_WRITE, "pop": ANY_WRITE,
    "clear": ANY_WRITE, "update": WHOLE_WRITE, "difference_update": ANY_WRITE,
    "intersection_update": ANY_WRITE, "symmetric_difference_update": ANY_WRITE,
    "__ior__": WHOLE_WRITE, "__iand__": ANY_WRITE, "__isub__": ANY_WRITE, "__ixor__": ANY_WRITE,
    "copy": WHOLE_READ, "issubset": WHOLE_READ, "issuperset": WHOLE_READ,
    "isdisjoint": WHOLE_READ, "union": WHOLE_READ, "intersection": WHOLE_READ,
    "difference": WHOLE_READ, "symmetric_difference": WHOLE_READ,
}

# Most specific first: model_of takes the first of these in a type's MRO.
TABLES: tuple[tuple[type, dict[str, int]], ...] = (
    (collections.OrderedDict, ORDERED_DICT),
    (collections.defaultdict, DEFAULT_DICT),
    (dict, DICT),
    (list, LIST),
    (set, SET),
    (collections.deque, DEQUE),
    (bytearray, BYTEARRAY),
)

# The exact built-in containers (the hooks' fast test; subclasses go through is_container).
EXACT_CONTAINERS = frozenset(klass for klass, _ in TABLES)


def is_container(tp: type) -> bool:
    """True for the built-in containers and their subclasses (TypeModel.container).  Runs no
    user code: issubclass against these classes asks `type`, and reads tp's MRO."""
    return _table_of(tp) is not None


def _table_of(tp: type) -> dict[str, int] | None:
    for klass, t in TABLES:
        if issubclass(tp, klass):
            return t
    return None


# In-place operators, as the method they call (the rewriter hooks `name OP= value`).
INPLACE_OPS = {"Add": "__iadd__", "Mult": "__imul__", "BitOr": "__ior__", "BitAnd": "__iand__",
               "Sub": "__isub__", "BitXor": "__ixor__"}

CONTAINER_METHODS = frozenset(n for _, t in TABLES for n in t if not n.startswith("__"))
# Methods whose first argument is a key, for dicts and sets (the hook logs its hash).
KEYED_METHODS = frozenset(n for _, t in TABLES for n, k in t.items()
                          if k in (KEY_READ, KEY_WRITE) and not n.startswith("__"))

# Dunders that make a subscript, `in` or iteration a call when a type implements them in Python.
SUB_DUNDERS = ("__getitem__", "__setitem__", "__delitem__")
OTHER_DUNDERS = ("__contains__", "__iter__", "__len__", "__setattr__", "__delattr__",
                 "__getattribute__")

_C_CALLABLES = (types.BuiltinFunctionType, types.WrapperDescriptorType,
                types.MethodDescriptorType, types.MethodWrapperType,
                types.ClassMethodDescriptorType, types.GetSetDescriptorType,
                types.MemberDescriptorType)


def _defined_in_python(attr: Any) -> bool:
    """True when calling `attr` (found in a class __dict__) runs Python code."""
    if isinstance(attr, _C_CALLABLES):
        return False
    if isinstance(attr, (staticmethod, classmethod)):
        attr = attr.__func__
    return True


class TypeModel:
    """How the detector treats accesses to objects of one type (one per type, per thread)."""

    __slots__ = ("tp", "container", "keyed", "methods", "calls", "attr_calls")

    def __init__(self, tp: type) -> None:
        self.tp = tp
        table = _table_of(tp)
        self.container = table is not None
        self.keyed = table is not None and issubclass(tp, (dict, set))
        self.methods: dict[str, int] = dict(table or {})
        # Names (dunders and container methods) the type implements in Python: calls.
        self.calls = frozenset(python_overrides(tp, (*SUB_DUNDERS, *OTHER_DUNDERS, *self.methods)))
        for name in self.calls:
            self.methods.pop(name, None)
        self.attr_calls: dict[str, bool] = {}

    def attr_is_call(self, name: str) -> bool:
        """True when ``obj.name`` on this type runs Python code (a property, a Python
        data descriptor) instead of reading or writing a field."""
        r = self.attr_calls.get(name)
        if r is None:
            r = self.attr_calls[name] = _attr_is_call(self.tp, name)
        return r


def python_overrides(tp: type, names: Any) -> list[str]:
    """Those of `names` that `tp` (or a base before the first built-in one) implements in Python."""
    out: list[str] = []
    for name in names:
        for klass in tp.__mro__:
            d = klass.__dict__
            if name in d:
                if _defined_in_python(d[name]) and not _is_stdlib_container(klass):
                    out.append(name)
                break
    return out


def _is_stdlib_container(klass: type) -> bool:
    # collections.Counter & co. are Python classes of the standard library (never
    # instrumented); their methods keep the dict model they are built on.
    return klass.__module__ == "collections" and issubclass(klass, dict)


def _attr_is_call(tp: type, name: str) -> bool:
    for klass in tp.__mro__:
        d = klass.__dict__
        if name in d:
            attr = d[name]
            if isinstance(attr, property):
                return True
            at = type(attr)
            if isinstance(attr, _C_CALLABLES) or at.__module__ == "builtins":
                return False
            # A descriptor written in Python: data descriptors always win over the instance
            # dict, so the access is a call.  (Non-data ones such as cached_property may be
            # shadowed by a real field: kept as fields.)
            for meth in ("__set__", "__delete__"):
                for k in at.__mro__:
                    if meth in k.__dict__:
                        return _defined_in_python(k.__dict__[meth])
            return False
    return False


# Keys hashed without user code ------------------------------------------------------
PLAIN_KEYS = frozenset({str, int, float, bool, bytes, complex, type(None), range, type})
_OBJECT_HASH = object.__hash__
_C_HASHES = frozenset({id(_OBJECT_HASH), id(enum.Enum.__hash__),   # enum's is stdlib code
                       id(int.__hash__), id(str.__hash__), id(bytes.__hash__), id(float.__hash__)})
_TUPLE_HASHES = frozenset({id(tuple.__hash__), id(frozenset.__hash__)})


def key_hash(key: Any) -> int:
    """hash(key) when computing it runs no user code, else UNKNOWN_KEY (never raises)."""
    tk = type(key)
    try:
        if tk not in PLAIN_KEYS:
            hid = id(tk.__hash__)
            if hid in _TUPLE_HASHES:
                for e in key:
                    te = type(e)
                    if te not in PLAIN_KEYS and id(te.__hash__) not in _C_HASHES \
                            and key_hash(e) == UNKNOWN_KEY:
                        return UNKNOWN_KEY
            elif hid not in _C_HASHES:
                return UNKNOWN_KEY
        h = hash(key)
    except Exception:
        return -1
    return h - 1 if h == UNKNOWN_KEY else h
