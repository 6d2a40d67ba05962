"""Runs one copied CPython test module with unittest and logs each test's outcome.

    python runner.py MODULE LOG

Copied next to the test modules (see compare.py), so that under ``ftpy race`` the folder
holding both is the program's own and the test module is instrumented.  MODULE is a
dotted name (``cpytests.test_dict``); LOG gets one line per event, written and flushed as
it happens, so that a run killed for hanging still says which test was running:

    start <test id>
    end <test id> <outcome>         outcome: ok fail error skip xfail xpass
    done

A test with failing subtests ends ``fail`` (or ``error``).  Errors outside any test
(``setUpClass``, ``setUpModule``) are logged as ``end`` lines of their own.
"""

import os
import sys
import unittest

_RANK = {"ok": 0, "skip": 0, "xfail": 0, "xpass": 1, "fail": 2, "error": 3}


class LogResult(unittest.TestResult):
    def __init__(self, log):
        super().__init__()
        self.log = log
        self.outcome = {}

    def _write(self, line):
        self.log.write(line + "\n")
        self.log.flush()

    def _set(self, test, outcome):
        tid = test.id()
        old = self.outcome.get(tid)
        if old is None or _RANK[outcome] > _RANK[old]:
            self.outcome[tid] = outcome

    def startTest(self, test):
        super().startTest(test)
        self._write("start " + test.id())

    def stopTest(self, test):
        super().stopTest(test)
        tid = test.id()
        self._write(f"end {tid} {self.outcome.pop(tid, 'ok')}")

    def addError(self, test, err):
        super().addError(test, err)
        if isinstance(test, unittest.TestCase):
            self._set(test, "error")
        else:   # setUpClass / setUpModule / cleanups: no startTest or stopTest
            self._write(f"end {test.id()} error")
        self._detail(test, err)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, "fail")
        self._detail(test, err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        if isinstance(test, unittest.TestCase):
            self._set(test, "skip")
        else:
            self._write(f"end {test.id()} skip")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._set(test, "xfail")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._set(test, "xpass")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._set(test, "fail" if issubclass(err[0], test.failureException) else "error")
            self._detail(subtest, err)

    def _detail(self, test, err):
        # The traceback, for whoever reads the log of a differing test.
        try:
            text = self._exc_info_to_string(err, test) if isinstance(test, unittest.TestCase) else repr(err[1])
        except Exception as e:  # pragma: no cover
            text = repr(e)
        for line in text.splitlines()[-12:]:
            self._write("| " + line)


def main():
    module, log_path = sys.argv[1], sys.argv[2]
    with open(log_path, "w", encoding="utf-8", errors="backslashreplace") as log:
        suite = unittest.defaultTestLoader.loadTestsFromName(module)
        result = LogResult(log)
        suite(result)
        unittest.suite._call_if_exists(result, "stopTestRun")
        log.write("done\n")
        log.flush()
    # Like regrtest: do not wait for threads a test leaked, and skip interpreter teardown,
    # which some of these tests make slow; the log says all that the comparison needs.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
