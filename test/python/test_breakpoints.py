"""The breakpoint table, on real code objects: binding, moving, conditions, hit counts, logpoints.

Programs are written to a temporary folder and compiled the way the launcher compiles a script;
their code objects reach the table through the real code registry (``register``, as the launcher
and the import hook do).  The table drives a real tracing backend, not installed, whose watch
list is what it was told to watch.  The last tests install a real ``Debugger`` and run the code,
so conditions, hit counts and logpoints are judged on real lines of real threads.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
import threading
import types
import unittest
from typing import Any

from ftpy_runtime.debugger.breakpoints import Breakpoint, BreakpointTable, HitCondition, format_log_message
from ftpy_runtime.debugger.code_registry import CodeRegistry, walk
from ftpy_runtime.debugger.core import Debugger
from ftpy_runtime.runner.program import compile_script
from ftpy_runtime.tracing.settrace import SettraceBackend

WAIT = 60.0

PROGRAM = textwrap.dedent(
    """\
    def square(n):
        # a comment: a breakpoint here moves to the next line
        result = n * n  # SQUARE
        return result


    class Shape:
        def area(self, n):
            return square(n)  # AREA


    total = 0
    """
)
SQUARE = 3
COMMENT = 2
AREA = 9
PAST_THE_END = 40


class Hooks:
    """What a backend calls; these tests never install the backend, so nothing calls it."""

    def on_line(self, frame: types.FrameType, line: int) -> bool:
        raise AssertionError("not installed")

    def on_jump(self, frame: types.FrameType) -> bool:
        raise AssertionError("not installed")

    def on_start(self, frame: types.FrameType) -> None:
        raise AssertionError("not installed")

    def on_raise(self, frame: types.FrameType, exc: BaseException) -> None:
        raise AssertionError("not installed")


class TableCase(unittest.TestCase):
    def setUp(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="ftpy-bp-")
        self.path = self.write("prog.py", PROGRAM)
        self.registry = CodeRegistry()
        self.backend = SettraceBackend(Hooks())
        self.changed: list[Breakpoint] = []
        self.table = BreakpointTable(self.registry, self.backend, self.changed.append)

    def write(self, name: str, source: str) -> str:
        path = os.path.join(self.folder, name)
        with open(path, "w") as f:
            f.write(source)
        return path

    def load(self, path: str | None = None) -> types.CodeType:
        code = compile_script(path or self.path)
        self.registry.register(code)
        return code

    def code_named(self, module: types.CodeType, qualname: str) -> types.CodeType:
        return next(c for c in walk(module) if c.co_qualname == qualname)

    def watched_lines(self) -> set[types.CodeType]:
        return set(self.backend._line_codes.values())  # the backend's own record of what it watches

    def bound(self, code: types.CodeType) -> dict[int, Breakpoint]:
        return self.table.line_map.get(id(code), {})


class LineBindingTest(TableCase):
    def test_a_breakpoint_binds_to_the_code_object_that_owns_its_line(self) -> None:
        module = self.load()
        (bp,) = self.table.set_file(self.path, [{"line": SQUARE}])
        square = self.code_named(module, "square")
        self.assertTrue(bp.verified)
        self.assertEqual(bp.line, SQUARE)
        self.assertIs(self.bound(square)[SQUARE], bp)
        self.assertEqual(self.bound(module), {}, "not the module's code: the line is in the function body")
        self.assertEqual(self.watched_lines(), {square}, "only the code holding a breakpoint is watched")
        self.assertEqual(bp.to_dap()["line"], SQUARE)

    def test_a_line_without_code_moves_to_the_next_one_with_code(self) -> None:
        module = self.load()
        (bp,) = self.table.set_file(self.path, [{"line": COMMENT}])
        self.assertTrue(bp.verified)
        self.assertEqual(bp.requested_line, COMMENT)
        self.assertEqual(bp.line, SQUARE)
        self.assertIn(SQUARE, self.bound(self.code_named(module, "square")))

    def test_past_the_last_line_it_stays_unverified_and_says_why(self) -> None:
        self.load()
        (bp,) = self.table.set_file(self.path, [{"line": PAST_THE_END}])
        self.assertFalse(bp.verified)
        self.assertIn("no code on or after this line", bp.to_dap()["message"])
        self.assertEqual(self.table.line_map, {})

    def test_setting_a_files_breakpoints_replaces_them_and_unwatches_the_rest(self) -> None:
        module = self.load()
        self.table.set_file(self.path, [{"line": SQUARE}, {"line": AREA}])
        self.assertEqual(self.watched_lines(), {self.code_named(module, "square"), self.code_named(module, "Shape.area")})
        (only,) = self.table.set_file(self.path, [{"line": AREA}])
        self.assertEqual(self.watched_lines(), {self.code_named(module, "Shape.area")})
        self.assertIs(self.bound(self.code_named(module, "Shape.area"))[AREA], only)
        self.table.set_file(self.path, [])
        self.assertEqual(self.table.line_map, {})
        self.assertEqual(self.watched_lines(), set())

    def test_new_ids_every_time_and_other_files_keep_theirs(self) -> None:
        other = self.write("other.py", "x = 1\ny = 2\n")
        self.load()
        self.load(other)
        (a,) = self.table.set_file(self.path, [{"line": SQUARE}])
        (b,) = self.table.set_file(other, [{"line": 2}])
        (a2,) = self.table.set_file(self.path, [{"line": SQUARE}])
        self.assertNotEqual(a.id, a2.id)
        self.assertEqual(len({a.id, b.id, a2.id}), 3)
        self.assertTrue(b.verified)
        self.assertEqual(len(self.table.line_map), 2, "prog.py's square and other.py's module code")


class RebindingTest(TableCase):
    def test_a_file_loaded_after_its_breakpoints_were_set_binds_when_it_is_compiled(self) -> None:
        (bp,) = self.table.set_file(self.path, [{"line": SQUARE}])
        self.assertTrue(bp.verified, "verified from the source before it runs")
        self.assertEqual(self.table.line_map, {}, "but nothing to watch yet")
        module = self.load()
        self.assertIs(self.bound(self.code_named(module, "square"))[SQUARE], bp)
        self.assertEqual(self.changed, [], "nothing the client was told changed")

    def test_a_breakpoint_in_a_file_that_appears_later_is_announced_when_it_binds(self) -> None:
        path = os.path.join(self.folder, "later.py")
        (bp,) = self.table.set_file(path, [{"line": 2}])
        self.assertFalse(bp.verified, "no such file yet")
        self.write("later.py", "a = 1\nb = 2\n")
        self.load(path)
        self.assertTrue(bp.verified)
        self.assertEqual(self.changed, [bp], "the client hears that it is verified now")

    def test_each_new_code_object_for_the_file_is_bound_too(self) -> None:
        self.table.set_file(self.path, [{"line": SQUARE}])
        first = self.code_named(self.load(), "square")
        second = self.code_named(self.load(), "square")  # the module compiled again (a reload)
        self.assertIsNot(first, second)
        self.assertIn(SQUARE, self.bound(first))
        self.assertIn(SQUARE, self.bound(second))
        self.assertEqual(self.watched_lines(), {first, second})

    def test_clear_unwatches_everything(self) -> None:
        self.load()
        self.table.set_file(self.path, [{"line": SQUARE}])
        self.table.set_functions([{"name": "square"}])
        self.table.clear()
        self.assertEqual((self.table.line_map, self.table.start_map), ({}, {}))
        self.assertEqual(self.watched_lines(), set())
        self.assertEqual(self.backend._start_codes, {})


#: Function breakpoints match by name in every file, so these names are this test's alone.
NAMED = textwrap.dedent(
    """\
    def only_here_square(n):
        return n * n


    class OnlyHereShape:
        def area(self, n):
            return only_here_square(n)
    """
)


class FunctionBreakpointTest(TableCase):
    def test_function_breakpoints_bind_by_qualified_name_now_and_later(self) -> None:
        path = self.write("named.py", NAMED)
        fbps = self.table.set_functions([{"name": "OnlyHereShape.area"}, {"name": "named:only_here_square"}, {"name": "nowhere"}])
        self.assertEqual([f.verified for f in fbps], [False, False, False], "nothing is loaded yet")
        self.assertIn("has been loaded yet", fbps[2].to_dap()["message"])
        module = self.load(path)
        area, square = self.code_named(module, "OnlyHereShape.area"), self.code_named(module, "only_here_square")
        self.assertIs(self.table.start_map[id(area)], fbps[0])
        self.assertIs(self.table.start_map[id(square)], fbps[1])
        self.assertEqual([f.verified for f in fbps], [True, True, False])
        self.assertEqual(set(self.backend._start_codes.values()), {area, square})
        # Replaced: the old ones are no longer watched.
        (again,) = self.table.set_functions([{"name": "only_here_square", "condition": "n > 1", "hitCondition": "% 2"}])
        self.assertEqual(set(self.backend._start_codes.values()), {square})
        self.assertEqual(again.condition, "n > 1")
        self.assertIsNotNone(again.hit_condition)


class ConditionsTest(TableCase):
    def test_bad_conditions_and_hit_conditions_leave_the_breakpoint_unverified_with_the_reason(self) -> None:
        self.load()
        bad_expr, bad_hit, zero = self.table.set_file(
            self.path,
            [{"line": SQUARE, "condition": "n >"}, {"line": AREA, "hitCondition": "sometimes"}, {"line": AREA, "hitCondition": "% 0"}],
        )
        self.assertFalse(bad_expr.verified)
        self.assertIn("is not a valid expression", bad_expr.to_dap()["message"])
        self.assertFalse(bad_hit.verified)
        self.assertIn("is not understood", bad_hit.to_dap()["message"])
        self.assertIn("divides by zero", str(zero.message))

    def test_hit_conditions(self) -> None:
        cases = {"3": [3], "== 3": [3], ">= 3": [3, 4, 5, 6], "> 3": [4, 5, 6], "<= 2": [1, 2], "< 2": [1], "% 3": [3, 6]}
        for text, hits in cases.items():
            with self.subTest(text=text):
                cond = HitCondition(text)
                self.assertEqual([n for n in range(1, 7) if cond.matches(n)], hits)

    def test_log_messages(self) -> None:
        values = {"n": "3", "n * n": "9"}
        self.assertEqual(format_log_message("n={n} sq={n * n} {{literal}}", values.__getitem__), "n=3 sq=9 {literal}")

    def test_hits_are_counted_exactly_from_many_threads(self) -> None:
        self.load()
        (bp,) = self.table.set_file(self.path, [{"line": SQUARE}])
        barrier = threading.Barrier(8)

        def count() -> None:
            barrier.wait(WAIT)
            for _ in range(1000):
                bp.count_hit()

        threads = [threading.Thread(target=count) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT)
        self.assertEqual(bp.hits, 8000)


class DebuggerTest(unittest.TestCase):
    """The table inside a real, installed debugger: the line's breakpoint is judged as it runs."""

    def setUp(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="ftpy-bp-run-")
        self.path = os.path.join(self.folder, "prog.py")
        with open(self.path, "w") as f:
            f.write(PROGRAM)
        self.outputs: list[str] = []
        self.debugger = Debugger(self.event, lambda: None)
        self.debugger.install()
        self.addCleanup(self.debugger.uninstall)
        code = compile_script(self.path)
        self.debugger.registry.register(code)
        self.program: dict[str, Any] = {"__name__": "prog"}
        exec(code, self.program)

    def event(self, name: str, body: dict[str, Any]) -> None:
        if name == "output":
            self.outputs.append(str(body["output"]))

    def run_square(self, ns: range) -> None:
        for n in ns:
            self.program["square"](n)

    def test_a_conditional_hit_counted_logpoint_logs_exactly_its_hits(self) -> None:
        spec = {"line": SQUARE, "condition": "n % 2 == 0", "hitCondition": "% 2", "logMessage": "n={n} sq={n * n}"}
        (bp,) = self.debugger.breakpoints.set_file(self.path, [spec])
        self.assertTrue(bp.verified)
        self.run_square(range(12))  # even n: 0 2 4 6 8 10; every 2nd of those: 2 6 10
        self.assertEqual(self.outputs, ["n=2 sq=4\n", "n=6 sq=36\n", "n=10 sq=100\n"])
        self.assertEqual(bp.hits, 6, "hits count only where the condition held")

    def test_a_condition_that_raises_says_so_and_counts_as_true(self) -> None:
        (bp,) = self.debugger.breakpoints.set_file(self.path, [{"line": SQUARE, "condition": "1 / (n - 1) > 0", "logMessage": "n={n}"}])
        self.run_square(range(3))
        self.assertTrue(any("raised ZeroDivisionError" in o for o in self.outputs), self.outputs)
        self.assertIn("n=1\n", self.outputs, "a failing condition stops (here: logs) rather than hide the hit")
        self.assertIn("n=2\n", self.outputs)
        self.assertNotIn("n=0\n", self.outputs)
        self.assertEqual(bp.hits, 2)

    def test_logpoints_in_threads(self) -> None:
        self.debugger.breakpoints.set_file(self.path, [{"line": SQUARE, "logMessage": "{threading_name}"}])
        self.program["threading_name"] = "t"
        threads = [threading.Thread(target=self.run_square, args=(range(5),)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT)
        self.assertEqual(len(self.outputs), 20, "every thread's every hit is logged once")


if __name__ == "__main__":
    unittest.main()
