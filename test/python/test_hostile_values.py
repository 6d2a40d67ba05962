"""Values that fight back while they are shown: views/variables.py gives each its own row.

A ``__repr__`` that raises anything (SystemExit and KeyboardInterrupt included) or runs too long,
or a ``__len__``/``__getattribute__`` that raises, marks only that value; the listing goes on.
"""

from __future__ import annotations

import time
import unittest

from ftpy_runtime.runner.program import format_exception_without_runtime
from ftpy_runtime.views import variables


class Slow:
    def __repr__(self) -> str:
        for _ in range(3000):  # 30 s of Python code
            time.sleep(0.01)
        return "never"


class Exits:
    def __repr__(self) -> str:
        raise SystemExit(4)


class BadLen(list[int]):
    def __len__(self) -> int:
        raise ValueError("len boom")


class Holder:
    def __init__(self) -> None:
        self.slow = Slow()
        self.exits = Exits()
        self.bad_len = BadLen([1])
        self.good = 42


class HostileValues(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        variables.WATCHDOG.start()

    def test_each_bad_value_costs_only_its_row(self) -> None:
        handles = variables.Handles()
        ref = handles.add(variables.Value(Holder(), "h"))
        t0 = time.monotonic()
        rows = {r["name"]: r["value"] for r in variables.children(handles, handles.get(ref), None, 0, 0)}
        elapsed = time.monotonic() - t0
        self.assertEqual(rows["good"], "42")
        self.assertIn("did not return within", rows["slow"])
        self.assertIn("SystemExit: 4", rows["exits"])
        self.assertIn("ValueError: len boom", rows["bad_len"])
        self.assertLess(elapsed, 10, "the slow __repr__ was interrupted, not waited for")

    def test_an_evaluation_result_is_not_cut_short(self) -> None:
        # Outside a listing there is no per-value clock: the request's own timeout applies.
        class Quick:
            def __repr__(self) -> str:
                time.sleep(variables.REPR_TIMEOUT + 0.2)
                return "done"

        self.assertEqual(variables.safe_repr(Quick()), "done")

    def test_the_printed_traceback_has_no_runtime_frames_anywhere(self) -> None:
        class Interrupting:
            @property
            def __dict__(self) -> dict[str, object]:  # pyright: ignore[reportIncompatibleVariableOverride]
                raise KeyboardInterrupt

        def user() -> None:
            variables.attributes(Interrupting())  # a runtime frame between two of the user's

        try:
            user()
        except KeyboardInterrupt as exc:
            text = format_exception_without_runtime(exc)
        else:
            self.fail("no KeyboardInterrupt")
        self.assertIn("in user", text)
        self.assertIn("in __dict__", text)
        self.assertNotIn("variables.py", text)

if __name__ == "__main__":
    unittest.main()
