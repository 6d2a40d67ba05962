"""The rewriter keeps behaviour and line numbers; RaceSession's API end to end."""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from ftpy_runtime.race import hooks
from ftpy_runtime.race.rewrite import HOLDER_PLACEHOLDER, link, rewrite_source

SOURCE = textwrap.dedent('''\
    """doc"""
    from __future__ import annotations
    import os
    total = 0
    total = 1

    class C:
        attr = 1
        def m(self, d, k):
            self.x = d.get(k, 0) + 1
            d[k] = self.x
            del d[k]
            return [v for v in d] + list(d) + sorted(d.items())

    def gen(items):
        for i in items:
            yield i.real

    def closure():
        n = 0
        def inc():
            nonlocal n
            n += 1
            return n
        return inc

    def uses_global():
        global total
        total += 1
        return total, os.sep, (lambda q: q[0])([5]), 3 in {3: 4}
''')


class RewriteTest(unittest.TestCase):
    def compile(self, src=SOURCE, path="/tmp/ftpy_rewrite_case.py"):
        code = rewrite_source(src, path)
        self.assertIsNotNone(code)
        return code

    def test_instrumented_code_behaves_like_the_original(self):
        plain_ns, inst_ns = {}, {}
        exec(compile(SOURCE, "/tmp/ftpy_rewrite_case.py", "exec"), plain_ns)
        exec(link(self.compile(), hooks.tl), inst_ns)
        for ns in (plain_ns, inst_ns):
            c = ns["C"]()
            d = {"a": 1, "b": 2}
            ns["result"] = (c.m(d, "z"), list(ns["gen"]([1, 2.5])), ns["closure"]()(), ns["uses_global"]())
        self.assertEqual(plain_ns["result"], inst_ns["result"])
        self.assertEqual(set(inst_ns) - set(plain_ns), set(), "no new globals")

    def test_line_numbers_are_preserved(self):
        def lines(code):
            out = set()
            stack = [code]
            while stack:
                co = stack.pop()
                out |= {ln for _, _, ln in co.co_lines() if ln}
                stack.extend(c for c in co.co_consts if hasattr(c, "co_lines"))
            return out
        plain = lines(compile(SOURCE, "x.py", "exec"))
        inst = lines(self.compile(path="x.py"))
        self.assertEqual(inst - plain, set(), "instrumentation must not invent new line numbers")

    def test_syntax_error_gives_none_so_caller_compiles_plainly(self):
        self.assertIsNone(rewrite_source("def broken(:\n", "/tmp/x.py"))

    def test_hooks_are_reached_through_a_constant_not_a_name(self):
        code = self.compile()
        m = next(c for c in next(c for c in code.co_consts if getattr(c, "co_name", "") == "C").co_consts
                 if getattr(c, "co_name", "") == "m")
        plain = compile(SOURCE, "/tmp/ftpy_rewrite_case.py", "exec")
        pm = next(c for c in next(c for c in plain.co_consts if getattr(c, "co_name", "") == "C").co_consts
                  if getattr(c, "co_name", "") == "m")
        self.assertEqual(m.co_names and {n for n in m.co_names if n.startswith("_ftpy")}, set())
        self.assertEqual(m.co_varnames, pm.co_varnames, "no new locals")
        self.assertIn(HOLDER_PLACEHOLDER, m.co_consts)
        holder = object()
        linked = _all_consts(link(code, holder))
        self.assertIn(holder, linked)
        self.assertNotIn(HOLDER_PLACEHOLDER, linked)

    def test_literals_get_no_hook_and_accesses_a_report_cannot_tell_apart_share_a_site(self):
        import ast
        from ftpy_runtime.race import sites as S
        from ftpy_runtime.race.rewrite import Rewriter
        # (`p` is a global, so no read of p.x covers another: see the test below.)
        src = textwrap.dedent("""\
            def f(items, i):
                if p.x < 0 or p.x > 100:
                    p.x = 0
                for v in items:
                    pass
                return " ".join(items) + "abc"[i] + str((True).real)
        """)
        tree = ast.parse(src)
        rw = Rewriter(src, "/tmp/ftpy_sites_case.py", tree)
        rw.visit(tree)
        self.assertEqual(rw.sites, [(S.ATTR_R, "x", 2, "f"), (S.ATTR_W, "x", 3, "f"),
                                    (S.ITER, "for", 4, "f")])
        text = ast.unparse(tree)
        self.assertEqual(text.count(".a("), 3, "attributes call a")
        self.assertEqual(text.count(".m("), 1, "the loop calls m (iterations count on containers only)")
        self.assertEqual(text.count(".h("), 0)

    def test_an_access_an_earlier_one_covers_gets_no_hook(self):
        import ast
        from ftpy_runtime.race.rewrite import Rewriter
        src = textwrap.dedent("""\
            def covered(self):
                self.x += self.vx
                if self.x < 0 or self.x > 100:
                    self.vx = -self.vx
                return self.x
            def call_between(self, f):
                a = self.x
                f()
                return a + self.x
            def read_then_write(self):
                a = self.x
                self.x = a
            def rebound(o, other):
                a = o.x
                o = other
                return a + o.x
            def conditional(self, c):
                if c:
                    a = self.y
                b = c or self.z
                return self.y + self.z
            def with_between(self, lock):
                a = self.x
                with lock:
                    return a + self.x
            def loop(self, items):
                for i in items:
                    a = self.x
                return self.x
            def captured(self):
                a = self.x
                b = self.x
                return lambda: self
            def in_test_then_body(self):
                if self.x:
                    self.x = 0
                    return self.x
            def local_names(items):
                p = items[0]
                p.x += 1
                q = p.x + p.x
                p = items[1]
                q += p.x
                (p := items[2]).x
                if q:
                    p = items[3]
                q += p.x
                q = q or (p := items[4])
                del p
                return q
            def branch_rebinds(o, c):
                a = o.x
                if c:
                    o = c
                return a + o.x
        """)
        tree = ast.parse(src)
        Rewriter(src, "/tmp/ftpy_covered_case.py", tree).visit(tree)
        hooks_in = {fn.name: ast.unparse(fn).count(".a(") for fn in tree.body
                    if isinstance(fn, ast.FunctionDef)}
        self.assertEqual(hooks_in, {
            "covered": 3,          # x written, vx read, vx written; the reads of x and vx after: none
            "call_between": 2,     # the call may synchronise
            "read_then_write": 2,  # a read covers no write
            "rebound": 2,          # `o` names another object
            "conditional": 4,      # y and z in conditional code cover nothing after it
            "with_between": 2,     # __enter__ may synchronise (it usually does)
            "loop": 2,             # each pass calls __next__
            "captured": 2,         # a cell: a nested function could rebind it
            "in_test_then_body": 2,   # the test's read covers the body's reads, not its write
            "local_names": 4,      # p.x until p is rebound (=, :=, in a branch); not the reads after its +=
            "branch_rebinds": 2,   # `o` may name another object after the `if`
        })
        ns = {}
        exec(link(rewrite_source(src, "/tmp/ftpy_covered_case.py"), hooks.tl), ns)
        class P:
            x, vx, y, z = 5, -7, 1, 2
        p = P()
        self.assertEqual(ns["covered"](p), -2)
        self.assertEqual(p.vx, 7)
        self.assertEqual(ns["conditional"](p, 0), 3)


def _all_consts(code):
    out = []
    for c in code.co_consts:
        out.append(c)
        if hasattr(c, "co_consts"):
            out.extend(_all_consts(c))
    return out


class RaceSessionApiTest(unittest.TestCase):
    """RaceSession as the debugger uses it, in a child interpreter (it patches threading)."""

    def test_install_compile_main_finish(self):
        with tempfile.TemporaryDirectory() as d:
            prog = os.path.join(d, "prog.py")
            with open(prog, "w") as f:
                f.write(textwrap.dedent('''\
                    import threading
                    class Box:
                        v = 0
                    b = Box()
                    def bump():
                        b.v += 1
                    ts = [threading.Thread(target=bump) for _ in range(2)]
                    for t in ts: t.start()
                    for t in ts: t.join()
                '''))
            driver = textwrap.dedent(f'''\
                import json, sys
                from ftpy_runtime.race import RaceSession
                seen = []
                s = RaceSession(root_dirs=[{d!r}], suppressions_path=None, on_report=seen.append,
                                cache_dir=None)
                s.install()
                code = s.compile_main({prog!r})
                assert code.co_filename == {prog!r}, code.co_filename
                exec(code, {{"__name__": "__main__", "__file__": {prog!r}}})
                reports = s.finish()
                print(json.dumps({{"streamed": len(seen), "reports": reports}}))
            ''')
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
            out = subprocess.run([sys.executable, "-c", driver], capture_output=True, text=True, env=env, timeout=120)
            self.assertEqual(out.returncode, 0, out.stderr)
            data = json.loads(out.stdout.strip().splitlines()[-1])
            self.assertEqual(data["streamed"], 1)
            (r,) = data["reports"]
            self.assertEqual(r["location"]["field"], "v")
            self.assertEqual(r["current"]["stack"][0]["file"], prog)
            self.assertEqual(r["current"]["stack"][0]["line"], 6)
            self.assertEqual({r["current"]["access"], r["previous"]["access"]} <= {"read", "write"}, True)


if __name__ == "__main__":
    unittest.main()
