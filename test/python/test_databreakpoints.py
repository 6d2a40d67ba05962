"""Data breakpoints on real code objects and a real ``sys.monitoring`` tool (no adapter).

A program is compiled the way the launcher compiles a script and registered in a real code
registry; `DataBreakpoints` turns its events on.  What is asserted is behaviour: which code
objects get events at all, how many callbacks a loop of stores costs (one per execution of a
store site, after the first pass), which writes stop and with what, and that another thread's
write (here a C-level ``setattr``) is never claimed by a store to another object.  Timing is
`npm run bench -- --only databp`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import threading
import types
import unittest
from typing import Any

from ftpy_runtime.debugger import databreakpoints as dbps
from ftpy_runtime.debugger.code_registry import CodeRegistry
from ftpy_runtime.objectmodel.lookups import get_shared
from ftpy_runtime.runner.program import compile_script
from ftpy_runtime.world.stopping import StopInfo
from ftpy_runtime.world.threads import ThreadRegistry, ThreadState

PROGRAM = textwrap.dedent(
    """\
    class Box:
        def __init__(self):
            self.value = 0
            self.other = 0


    box = Box()
    table = {"hits": 0, "misc": 0}


    def touch(obj, v):
        obj.value = v  # TOUCH


    def bump(obj, n):
        for _ in range(n):
            obj.value += 1  # BUMP


    def unrelated(obj, n):
        for i in range(n):
            obj.other = i


    def samename(obj, n):
        for i in range(n):
            obj.value = i


    def misc(n):
        for i in range(n):
            table["misc"] = i
    """
)
TOUCH = next(i for i, line in enumerate(PROGRAM.splitlines(), 1) if "# TOUCH" in line)
BUMP = next(i for i, line in enumerate(PROGRAM.splitlines(), 1) if "# BUMP" in line)


class DataBreakpointsTest(unittest.TestCase):
    def setUp(self) -> None:
        if not hasattr(sys, "monitoring"):
            self.skipTest("needs sys.monitoring")
        self.dir = tempfile.TemporaryDirectory()
        path = os.path.join(self.dir.name, "watched.py")
        with open(path, "w") as f:
            f.write(PROGRAM)
        self.registry = CodeRegistry()
        code = compile_script(path)
        self.registry.register(code)
        self.ns: dict[str, Any] = {"__name__": "watched"}
        exec(code, self.ns)
        self.stops: list[tuple[types.FrameType, StopInfo, list[tuple[types.FrameType, int]]]] = []
        self.events: list[dict[str, Any]] = []

        def stop(ts: ThreadState, frame: types.FrameType, info: StopInfo, stack: list[tuple[types.FrameType, int]]) -> None:
            self.stops.append((frame, info, stack))  # recorded, never parked

        self.dbp = dbps.DataBreakpoints(self.registry, ThreadRegistry(), stop, lambda e, b: self.events.append(b), lambda: False)
        self.calls = [0]

    def tearDown(self) -> None:
        self.dbp.clear()
        self.dir.cleanup()

    def watch(self, kind: str, container: Any, key: Any, count: bool = False, **spec: Any) -> None:
        target = self.dbp.make_target(kind, container, key, f"watched {key}", None)
        data_id = self.dbp.describe(target)["dataId"]
        out = self.dbp.set([{"dataId": data_id, "accessType": "write", **spec}])
        self.assertTrue(out[0]["verified"], out)
        if not count:
            return
        # Count the callbacks: the real one, wrapped (so its caller is no longer the user's
        # frame: only for tests that look at no writer).
        mon = sys.monitoring
        real = mon.register_callback(self.dbp.tool, mon.events.INSTRUCTION, None)
        calls = self.calls

        def counting(code: types.CodeType, offset: int) -> Any:
            calls[0] += 1
            return real(code, offset)

        mon.register_callback(self.dbp.tool, mon.events.INSTRUCTION, counting)

    def code(self, name: str) -> types.CodeType:
        return self.ns[name].__code__

    def test_only_store_sites_of_the_watched_name_get_events(self) -> None:
        self.watch("attribute", self.ns["box"], "value", count=True)
        mon = sys.monitoring
        for name in ("touch", "bump", "samename"):
            self.assertEqual(mon.get_local_events(self.dbp.tool, self.code(name)), mon.events.INSTRUCTION, name)
        for name in ("unrelated", "misc"):
            self.assertEqual(mon.get_local_events(self.dbp.tool, self.code(name)), 0, name)
        self.ns["unrelated"](self.ns["box"], 1000)
        self.assertEqual(self.calls[0], 0, "code that never stores the watched name never calls back")
        other = self.ns["Box"]()
        self.ns["samename"](other, 1000)
        self.assertGreaterEqual(self.calls[0], 1000)
        self.calls[0] = 0
        self.ns["samename"](other, 1000)
        self.assertEqual(self.calls[0], 1000, "after the first pass, only the instruction after the store calls back")
        self.assertEqual(self.stops, [], "stores to another object never stop")

    def test_a_constant_key_that_is_not_the_watched_one_is_no_site(self) -> None:
        self.watch("dict", self.ns["table"], "hits", count=True)
        self.assertEqual(sys.monitoring.get_local_events(self.dbp.tool, self.code("misc")), 0)
        self.ns["misc"](100)
        self.assertEqual((self.calls[0], self.stops), (0, []))

    def test_each_change_stops_once_on_the_store_line_and_a_foreign_write_is_not_claimed(self) -> None:
        box = self.ns["box"]
        self.watch("attribute", box, "value")
        self.ns["touch"](box, 5)
        self.ns["touch"](box, 5 + 0)  # the same object again: no change
        setattr(box, "value", 99)  # a write no store site made (as another thread's, in flight)
        self.ns["samename"](self.ns["Box"](), 3)  # sees the change at its site, but stored elsewhere
        self.assertEqual(len(self.stops), 1, [s[1].description for s in self.stops])
        self.ns["bump"](box, 2)  # obj.value += 1: the receiver is found through COPY/SWAP
        descriptions = [info.description or "" for _, info, _ in self.stops]
        self.assertEqual(len(descriptions), 3, descriptions)
        self.assertIn("changed from 0 to 5", descriptions[0])
        self.assertIn("changed from 5 to 100", descriptions[1], "99 was never seen: its writer was no store site")
        self.assertIn("changed from 100 to 101", descriptions[2])
        self.assertEqual([stack[0][1] for _, _, stack in self.stops], [TOUCH, BUMP, BUMP])
        self.assertEqual([info.reason for _, info, _ in self.stops], ["data breakpoint"] * 3)

    def test_a_thread_filter_is_judged_per_write_without_the_frames_locals(self) -> None:
        box = self.ns["box"]
        self.watch("attribute", box, "value", condition='thread == "writer" and new > 2')
        bp = self.dbp.active[0]
        self.assertFalse(bp.names_locals, "a condition on thread/owner/old/new copies no locals")
        self.ns["touch"](box, 7)  # this thread: not 'writer'
        worker = threading.Thread(target=lambda: [self.ns["touch"](box, v) for v in (1, 8)], name="writer")
        worker.start()
        worker.join()
        self.assertEqual([info.description for _, info, _ in self.stops],
                         ["Paused on data breakpoint: watched value changed from 1 to 8 (written by thread 'writer')"])
        self.assertTrue(dbps._needs_frame_locals(compile("v > 1 and new", "<c>", "eval")))  # pyright: ignore[reportPrivateUsage]
        self.assertTrue(dbps._needs_frame_locals(compile("any(x for x in new)", "<c>", "eval")))  # pyright: ignore[reportPrivateUsage]

    def test_missing_places_read_as_unset_and_a_dict_subclass_keeps_its_missing_unused(self) -> None:
        calls: list[Any] = []

        class Counting(dict[str, int]):
            def __missing__(self, key: str) -> int:
                calls.append(key)
                return 0

        d = Counting()
        target = self.dbp.make_target("dict", d, "k", "d['k']", None)
        self.assertIs(dbps.read_with(target.reader()), dbps.MISSING)
        def outer() -> Any:
            x = 1
            del x

            def inner() -> Any:
                return x  # noqa: F821  # a free variable, empty here

            return inner.__closure__[0]  # pyright: ignore[reportOptionalSubscript]

        empty = self.dbp.make_target("cell", outer(), "x", "cell x", None)
        self.assertIs(dbps.read_with(empty.reader()), dbps.MISSING)
        lst = self.dbp.make_target("list", [1, 2], 5, "l[5]", None)
        self.assertIs(dbps.read_with(lst.reader()), dbps.MISSING)
        self.assertEqual(calls, [])

    def test_the_tool_is_given_back_when_the_last_one_goes(self) -> None:
        self.watch("attribute", self.ns["box"], "value")
        tool = self.dbp.tool
        self.dbp.clear()
        self.assertEqual(self.dbp.tool, -1)
        self.assertIsNone(sys.monitoring.get_tool(tool))


class SharedKeysTest(unittest.TestCase):
    def test_get_shared_is_dict_get(self) -> None:
        d = {10**20 + 1: "a"}
        self.assertEqual(get_shared(d, 10**20 + 1), "a")
        self.assertIsNone(get_shared(d, 3))

    def test_a_thread_is_keyed_by_its_own_ident_object(self) -> None:
        """The key object the registry stores is the one the thread made (``Thread.ident``),
        whatever int the caller passed: the thread's own lookups then stay lock-free on 3.13t."""
        reg = ThreadRegistry()
        seen: list[int] = []
        ready, done = threading.Event(), threading.Event()
        t = threading.Thread(target=lambda: (ready.set(), done.wait()))
        t.start()
        ready.wait()
        try:
            ident = t.ident
            assert ident is not None
            copy = int(str(ident))  # an equal int, another object (as sys._current_frames() gives)
            self.assertIsNot(copy, ident)
            ts = reg.state_for(copy, t)
            seen = [k for k in reg.by_ident if k == ident]
            self.assertEqual(len(seen), 1)
            self.assertIs(seen[0], ident)
            self.assertIs(reg.by_ident[copy], ts)
        finally:
            done.set()
            t.join()


if __name__ == "__main__":
    unittest.main()
