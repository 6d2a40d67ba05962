"""The container model (race/containers.py) against the built-in types themselves.

The mutating methods are not taken from the table under test: every public method and
in-place operator of each container type is called on a fresh sample with a range of
arguments, and one whose call changes the sample's contents (or their order) must be a
write in the table.  A method added to a type, or dropped from the table, fails here.
"""

import collections
import copy
import unittest

from ftpy_runtime.race import containers as C
from ftpy_runtime.race.rewrite import CONTAINER_METHODS

SAMPLES = {
    list: lambda: [3, 1, 2],
    dict: lambda: {1: "a", 2: "b", 3: "c"},
    collections.OrderedDict: lambda: collections.OrderedDict([(1, "a"), (2, "b"), (3, "c")]),
    collections.defaultdict: lambda: collections.defaultdict(str, {1: "a", 2: "b", 3: "c"}),
    set: lambda: {1, 2, 3},
    collections.deque: lambda: collections.deque([3, 1, 2]),
    bytearray: lambda: bytearray(b"cab"),
}

ARGS = [(), (1,), (2,), (9,), (0,), (-1,), (1, "z"), (9, "z"), (0, 7), (1, False), (False,),
        ([4, 5],), ({4: "d"},), ({4, 5},), ({1, 9},), ([1],), (2,), (b"x",), (ord("x"),),
        (bytearray(b"z"),), (0, ord("x")), (b"a", b"q"), (collections.deque([4]),),
        (collections.OrderedDict([(4, "d")]),)]

# Object protocol, not operations on the contents.
NOT_OPERATIONS = {"__init__", "__setattr__", "__delattr__", "__init_subclass__", "__new__",
                  "__setstate__", "__reduce__", "__reduce_ex__", "__class_getitem__",
                  "__subclasshook__", "__getstate__", "__format__", "__sizeof__", "__dir__",
                  "__copy__", "__deepcopy__", "fromkeys", "maketrans", "fromhex"}
# Subscripts are hooked as subscripts, not as calls.
SUBSCRIPT_DUNDERS = {"__setitem__", "__delitem__"}


def state(obj):
    if isinstance(obj, dict):
        return list(obj.items())
    if isinstance(obj, set):
        return sorted(obj)
    return list(obj)


def mutating_methods(tp):
    """Every name whose call changed a fresh sample of `tp`, found by trying."""
    found = set()
    for name in dir(tp):
        if name in NOT_OPERATIONS or name in SUBSCRIPT_DUNDERS:
            continue
        if name.startswith("__") and not name.startswith("__i"):
            continue   # binary operators and comparisons make new objects
        if not callable(getattr(tp, name, None)):
            continue
        for args in ARGS:
            obj = SAMPLES[tp]()
            before = state(copy.deepcopy(obj))
            try:
                result = getattr(obj, name)(*copy.deepcopy(args))
            except Exception:
                continue
            if name.startswith("__i") and result is not obj:
                continue
            if state(obj) != before:
                found.add(name)
                break
    return found


def table_for(tp):
    return C.TypeModel(tp).methods


class MutatingMethodsAreWrites(unittest.TestCase):
    def test_every_mutating_method_is_a_write(self):
        writes = (C.KEY_WRITE, C.ANY_WRITE, C.WHOLE_WRITE)
        for tp in SAMPLES:
            table = table_for(tp)
            found = mutating_methods(tp)
            with self.subTest(type=tp.__name__):
                self.assertTrue(found, "the probe found no mutating method at all")
                missing = sorted(n for n in found if table.get(n) not in writes)
                self.assertEqual(missing, [], f"{tp.__name__}: mutating methods the detector does not see")

    def test_the_probe_finds_the_known_ones(self):
        # The probe itself must work: these are the methods the issue names.
        self.assertIn("move_to_end", mutating_methods(collections.OrderedDict))
        self.assertIn("popitem", mutating_methods(dict))
        self.assertIn("setdefault", mutating_methods(dict))
        self.assertIn("__ior__", mutating_methods(dict))
        self.assertIn("__iadd__", mutating_methods(list))
        self.assertIn("sort", mutating_methods(list))
        self.assertIn("rotate", mutating_methods(collections.deque))

    def test_every_table_entry_is_a_method_of_its_type(self):
        for tp, table in C.TABLES:
            for name in table:
                self.assertTrue(callable(getattr(tp, name, None)), f"{tp.__name__}.{name}")

    def test_reads_in_the_table_do_not_mutate(self):
        reads = (C.KEY_READ, C.WHOLE_READ)
        for tp in SAMPLES:
            found = mutating_methods(tp)
            for name, how in table_for(tp).items():
                if how in reads:
                    self.assertNotIn(name, found, f"{tp.__name__}.{name} mutates but is a read")

    def test_the_rewriter_hooks_every_method_in_the_table(self):
        for _, table in C.TABLES:
            for name in table:
                if not name.startswith("__"):
                    self.assertIn(name, CONTAINER_METHODS)


class PythonOverridesAreCalls(unittest.TestCase):
    def test_user_mapping(self):
        class M:
            def __getitem__(self, k):
                return k

            def __setitem__(self, k, v):
                pass

        m = C.TypeModel(M)
        self.assertFalse(m.container)
        self.assertEqual(m.calls, {"__getitem__", "__setitem__"})

    def test_dict_subclass_override_and_plain(self):
        class Over(dict):
            def __setitem__(self, k, v):
                super().__setitem__(k, v)

            def setdefault(self, k, v=None):
                return super().setdefault(k, v)

        class Plain(dict):
            def describe(self):
                return "x"

        over, plain = C.TypeModel(Over), C.TypeModel(Plain)
        self.assertTrue(over.container and plain.container)
        self.assertIn("__setitem__", over.calls)
        self.assertNotIn("setdefault", over.methods)
        self.assertEqual(plain.calls, frozenset())
        self.assertEqual(plain.methods, C.DICT)

    def test_builtins_and_stdlib_keep_the_container_model(self):
        for tp in (dict, list, collections.OrderedDict, collections.Counter, collections.deque):
            self.assertEqual(C.TypeModel(tp).calls, frozenset(), tp)

    def test_properties_are_calls_slots_are_fields(self):
        class P:
            __slots__ = ("a", "_b")

            @property
            def b(self):
                return self._b

        m = C.TypeModel(P)
        self.assertTrue(m.attr_is_call("b"))
        self.assertFalse(m.attr_is_call("a"))
        self.assertFalse(m.attr_is_call("other"))


class KeysHashWithoutUserCode(unittest.TestCase):
    def test_plain_keys_hash_as_python_does(self):
        for k in ("a", 1, -1, 2.5, None, b"x", (1, "a"), frozenset({1}), ((1, 2), "x"), True):
            self.assertEqual(C.key_hash(k), hash(k), repr(k))

    def test_user_hash_is_never_called(self):
        calls = []

        class K:
            def __hash__(self):
                calls.append(1)
                return 7

        self.assertEqual(C.key_hash(K()), C.UNKNOWN_KEY)
        self.assertEqual(C.key_hash((1, K())), C.UNKNOWN_KEY)
        self.assertEqual(calls, [])

    def test_identity_hashed_objects_and_unhashables(self):
        class Plain:
            pass

        p = Plain()
        self.assertEqual(C.key_hash(p), hash(p))
        self.assertIn(C.key_hash([1]), (-1, C.UNKNOWN_KEY))   # the operation raises anyway


if __name__ == "__main__":
    unittest.main()
