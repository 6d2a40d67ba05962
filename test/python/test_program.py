"""The launcher compiles the main script the way ``python script.py`` does.

On the free-threaded build, ``compile(source, ...)`` leaves a code object's constants mortal, so
every thread running the same function contends on their shared refcounts (a plain arithmetic
loop ran 2x slower at 2 threads and 6x slower at 16 under the debugger).  These tests check the
constants of the compiled main script are immortal, as the interpreter's own compiler makes them.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import types
import unittest

from ftpy_runtime.runner.program import compile_script

FREE_THREADED = hasattr(sys, "_is_gil_enabled")


def is_immortal(obj: object) -> bool:
    checker = getattr(sys, "_is_immortal", None)
    if checker is not None:
        return bool(checker(obj))
    return sys.getrefcount(obj) >= 2**30


def constants(code: types.CodeType) -> list[object]:
    found: list[object] = []
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found += constants(const)
        else:
            found.append(const)
    return found


SOURCE = '''\
# -*- coding: utf-8 -*-
from __future__ import annotations
"""A script."""

def work(n):
    acc = 0.0
    for i in range(n):
        acc += (i % 1_000_003) * 0.25 - 2.5e-3 + 123456789012
    return acc, "done, é"

print(work(10))
'''


@unittest.skipUnless(FREE_THREADED, "constants are immortalised only on the free-threaded build")
class CompileScriptTest(unittest.TestCase):
    def setUp(self) -> None:
        # The runtime's agent thread is running when the script is compiled; mirror that.
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()
        fd, self.path = tempfile.mkstemp(suffix=".py")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(SOURCE)

    def tearDown(self) -> None:
        os.unlink(self.path)

    def test_constants_are_immortal(self) -> None:
        code = compile_script(self.path)
        numbers = [c for c in constants(code) if isinstance(c, (int, float)) and not isinstance(c, bool)]
        self.assertIn(0.25, numbers)
        self.assertIn(123456789012, numbers)
        mortal = [c for c in numbers if not is_immortal(c)]
        self.assertEqual(mortal, [], "these constants would be contended between threads")

    def test_same_code_as_compiling_the_source(self) -> None:
        with open(self.path, "rb") as f:
            plain = compile(f.read(), self.path, "exec", dont_inherit=True)
        code = compile_script(self.path)
        self.assertEqual(code.co_filename, self.path)
        self.assertEqual(code.co_code, plain.co_code)
        self.assertEqual(constants(code), constants(plain))
        self.assertEqual(list(code.co_lines()), list(plain.co_lines()))


if __name__ == "__main__":
    unittest.main()
