"""CPython's own test modules behave the same under the race detector as without it.

Each module is copied out of the provisioned interpreter's Lib/test at test time (nothing of
CPython's is committed), run plainly and under ``python -m ftpy_runtime.race``, and every
test must end the same way in both runs, with no hang (test/race/cpython/compare.py).

The default run checks a fast subset (compare.FAST_MODULES); ``scripts/test.sh slow`` (or
FTPY_SLOW_TESTS=1) checks every module issue 10 lists (compare.SLOW_MODULES).  A module
that differs is run once more, and only tests that differ both times fail the test, so
one timing-dependent CPython test cannot make this flaky; a hang is never retried.
"""

import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "race", "cpython"))
import compare  # noqa: E402

PYTHON = os.environ.get("FTPY_TEST_PYTHON") or sys.executable
SLOW = os.environ.get("FTPY_SLOW_TESTS") == "1"
MODULES = compare.SLOW_MODULES if SLOW else compare.FAST_MODULES


class CPythonTestsUnderTheDetector(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="ftpy-cpytests-")
        compare.prepare(PYTHON, MODULES, cls.folder)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder, ignore_errors=True)

    def check(self, module):
        c = compare.compare(PYTHON, self.folder, module)
        print("\n" + c.summary(), file=sys.stderr)
        self.assertTrue(c.plain.finished, f"{module} did not finish plainly:\n{c.plain.output[-3000:]}")
        self.assertFalse(c.hang, c.explain())
        self.assertTrue(c.race.finished, c.explain())
        if c.differing:
            again = compare.compare(PYTHON, self.folder, module)
            both = {t: v for t, v in c.differing.items() if t in again.differing}
            self.assertFalse(again.hang, again.explain())
            if both:
                c.differing = both
                self.fail(c.explain())
        self.assertGreater(len(c.plain.outcomes), 0)


for _m in MODULES:
    def _test(self, m=_m):
        self.check(m)
    _test.__name__ = f"test_{_m.removeprefix('test_')}"
    setattr(CPythonTestsUnderTheDetector, _test.__name__, _test)
del _m, _test

if __name__ == "__main__":
    unittest.main()
