"""Race reports name the right caller: both stacks are exact in every frame (up to the
capture depth), not the chain a thread happened to show the first time it reached the line.

Each test runs a real program under `python -m ftpy_runtime.race --json` and compares the
reported stacks with the lines the program really took.
"""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = os.path.join(os.path.dirname(os.path.dirname(HERE)), "runtime")
CORPUS = os.path.join(os.path.dirname(HERE), "corpus")


def race(path):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        env = dict(os.environ, PYTHONPATH=RUNTIME, FTPY_RACE_CACHE=os.path.join(d, "cache"))
        p = subprocess.run([sys.executable, "-m", "ftpy_runtime.race", "--json", out, "--", path],
                           env=env, capture_output=True, text=True, timeout=120)
        with open(out) as f:
            return json.load(f)["races"], p


def frames(part, file):
    return [(f["function"], f["line"]) for f in part["stack"] if f["file"] == file]


def line_of(path, text):
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if text in line:
                return i
    raise AssertionError(text)


class ExactStacks(unittest.TestCase):
    def test_two_callers_names_the_racing_one(self):
        path = os.path.join(CORPUS, "race_two_callers.py")
        races, p = race(path)
        self.assertEqual(len(races), 1, p.stderr)
        want = [("add", line_of(path, "ledger.total += n")),
                ("record_shared", line_of(path, "add(shared, n)")),
                ("worker", line_of(path, "record_shared(i)"))]
        for side in ("current", "previous"):
            self.assertEqual(frames(races[0][side], path), want, p.stderr)

    def test_every_frame_of_a_deep_stack(self):
        # 16 levels; each level calls the next from one of two lines.  The private object
        # goes down the "left" lines first, the shared one down the "right" lines.
        depth = 16
        levels = []
        for i in range(depth):
            nxt = f"level{i + 1}" if i + 1 < depth else "touch"
            levels.append(textwrap.dedent(f"""\
                def level{i}(obj, right):
                    if right:
                        return {nxt}(obj, right)   # right {i}
                    return {nxt}(obj, right)   # left {i}
                """))
        src = textwrap.dedent("""\
            import threading


            class Box:
                n = 0


            def touch(obj, right):
                obj.n += 1


            """) + "\n".join(levels) + textwrap.dedent("""\

            shared = Box()


            def worker():
                for _ in range(5):
                    level0(Box(), False)
                    level0(shared, True)   # shared path


            ts = [threading.Thread(target=worker) for _ in range(2)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            """)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "deep.py")
            with open(path, "w") as f:
                f.write(src)
            races, p = race(path)
            self.assertEqual(len(races), 1, p.stderr)
            want = [("touch", line_of(path, "obj.n += 1"))]
            for i in reversed(range(depth)):
                want.append((f"level{i}", line_of(path, f"# right {i}")))
            want.append(("worker", line_of(path, "# shared path")))
            for side in ("current", "previous"):
                got = frames(races[0][side], path)
                self.assertEqual(got[:17], want[:17], p.stderr)

    def test_nested_function_frame_is_not_doubled(self):
        src = textwrap.dedent("""\
            import threading


            def outer():
                class Box:
                    n = 0
                box = Box()

                def inner():
                    box.n += 1
                ts = [threading.Thread(target=inner) for _ in range(2)]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()


            outer()
            """)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "nested.py")
            with open(path, "w") as f:
                f.write(src)
            races, p = race(path)
            self.assertEqual(len(races), 1, p.stderr)
            for side in ("current", "previous"):
                self.assertEqual(frames(races[0][side], path),
                                 [("outer.<locals>.inner", line_of(path, "box.n += 1"))])


if __name__ == "__main__":
    unittest.main()
