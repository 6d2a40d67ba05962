"""The access hooks (threadlog.ThreadState's a, h and k) against what they must log.

A hit in the per-epoch dedup (`last`) must be exact: the same object at the same site (and
key) in the same epoch, never another object that took the dead one's id, and telling a
weak reference from a held object must never call the program's objects.
"""

import gc
import sys
import threading
import unittest

from ftpy_runtime.race import hooks

from ftpy_runtime.race.sites import STACK
from ftpy_runtime.race.threadlog import ThreadState


class _Log:
    """A session that keeps the accesses of each log handed over: (site, aux, object)."""

    def __init__(self) -> None:
        self.accesses: list[tuple[int, int, object]] = []

    def process_log(self, ts, buf, keep) -> None:
        for i, obj in enumerate(keep):
            site, aux = buf[2 * i], buf[2 * i + 1]
            if site != STACK and site >= 0:
                self.accesses.append((site, aux, obj))


class Inst:
    pass


class Called:
    """Held (no weak reference, no __dict__); calling it is user code."""

    __slots__ = ("calls",)

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self


class HooksTest(unittest.TestCase):
    def setUp(self) -> None:
        self.log = _Log()
        self.ts = ThreadState(self.log, 1, "t", [0, 1], (), None)

    def logged(self):
        self.ts.flush()
        return self.log.accesses

    def test_repeats_in_an_epoch_are_logged_once_and_again_after_a_sync(self):
        a, h, k = self.ts.hook_a, self.ts.hook_h, self.ts.hook_k
        o, lst, d = Inst(), [], {}
        for _ in range(3):
            a(o, 10)
            h(lst, 11)
            h(True, 12)
            k(d, 13, "key")
            k(d, 13, "other")
        self.assertEqual(len(self.logged()), 5)
        self.ts.release()
        a(o, 10)
        h(lst, 11)
        k(d, 13, "key")
        self.assertEqual(len(self.logged()), 8)

    def test_unchecked_objects_are_never_logged(self):
        a, h, k = self.ts.hook_a, self.ts.hook_h, self.ts.hook_k
        for v in ("s", 1, 2.5, (1, 2), None, b"b", frozenset()):
            self.assertIs(a(v, 20), v)
            self.assertIs(h(v, 21), v)
            self.assertIs(k(v, 22, 0), v)
        self.assertEqual(self.logged(), [])

    def test_container_hooks_log_containers_and_their_subclasses_only(self):
        # `m`/`mk` take iterations, `in` and container-method calls: the detector counts
        # them on built-in containers (and subclasses) only, so nothing else is logged.
        from collections import OrderedDict, deque
        m, mk = self.ts.hook_m, self.ts.hook_mk

        class Cache:             # a class of the program's, with a `get` of its own
            def get(self, key):
                return key

        class MyDict(dict):
            pass

        cache, od, dq, sub, lst = Cache(), OrderedDict(), deque(), MyDict(), []
        for obj in (cache, od, dq, sub, lst, "s", 3, (1,)):
            self.assertIs(m(obj, 60), obj)
            self.assertIs(mk(obj, 61, "key"), obj)
        logged = [(site, o) for site, _, o in self.logged()]
        self.assertEqual([o for _, o in logged if o is cache], [])
        for o in (od, dq, sub, lst):
            self.assertEqual([site for site, x in logged if x is o], [60, 61])
        self.assertEqual(len(logged), 8)

    def _check_reused_ids(self, access, per: int, cyclic: bool) -> None:
        """`access` (per records) 200 objects, let them die (in reference cycles: freed by
        the collector), then `access` the new objects that took their ids: every one of
        those is logged again, as itself."""
        batch = [Inst() for _ in range(200)]
        for o in batch:
            if cyclic:
                o.me = o
            access(o)
        old = {id(o) for o in batch}
        del batch, o
        gc.collect()
        fresh = [Inst() for _ in range(400)]
        reused = [o for o in fresh if id(o) in old]
        if not reused:
            self.skipTest("the allocator reused no id")
        for o in reused:
            access(o)
        logged = [o for _, _, o in self.logged()]
        self.assertEqual(len(logged), per * (200 + len(reused)))
        self.assertTrue(all(x is y for x, y in zip(logged[per * 200::per], reused)))

    def test_an_object_that_took_a_dead_ones_id_is_logged(self):
        a = self.ts.hook_a
        self._check_reused_ids(lambda o: a(o, 30), 1, cyclic=False)

    def test_an_object_freed_by_the_cyclic_gc_leaves_no_hit_to_its_ids_next_owner(self):
        # The Life of an object in a reference cycle is cleared by the collector (which
        # calls the callbacks from its own pass), not by a reference count reaching zero.
        a, k = self.ts.hook_a, self.ts.hook_k

        def access(o: Inst) -> None:
            a(o, 31)
            k(o, 32, "key")
        self._check_reused_ids(access, 2, cyclic=True)

    def test_an_object_freed_by_another_thread_marks_its_life_gone_dropping_nothing_of_ours(self):
        # The callback runs on the freeing thread: it must not drop a reference to an object
        # of the Life's thread (CPython would queue a merge to this thread per death, and
        # run the program's weakref callbacks nested inside them: RecursionErrors).
        from ftpy_runtime.race import threadlog
        a = self.ts.hook_a
        box = [Inst()]
        a(box[0], 33)
        life = self.ts.lives[id(box[0])]
        oid = life.oid
        t = threading.Thread(target=box.clear)     # the last reference goes on that thread
        t.start()
        t.join()
        self.assertIs(life.gone, True)
        self.assertIs(life.oid, oid)               # not freed from the other thread
        if hooks._immortalize(Inst()):             # 3.13t
            self.assertEqual(sys.getrefcount(threadlog.DEATH_CALLBACK), 0xFFFFFFFF)

    def test_a_thread_keeps_a_bounded_number_of_lives_and_logs_exactly_past_it(self):
        from ftpy_runtime.race import threadlog
        a = self.ts.hook_a
        objs = [Inst() for _ in range(threadlog.LIVES_LIMIT + 100)]
        for o in objs:
            a(o, 40)
        self.assertLessEqual(len(self.ts.lives), threadlog.LIVES_LIMIT)
        self.assertEqual(len(self.logged()), len(objs))
        self.ts.release()
        for o in objs[:10] + objs[-10:]:    # Life forgotten, and Life kept: once an epoch
            a(o, 40)
            a(o, 40)
        self.assertEqual([x for _, _, x in self.logged()[len(objs):]], objs[:10] + objs[-10:])

    def test_a_finished_thread_keeps_no_lives(self):
        # ThreadState.end: a finished thread's state stays in the session; what it kept to
        # skip repeats (one Life per object it logged) must not stay with it.
        import os
        import subprocess
        import tempfile
        import textwrap
        prog = textwrap.dedent("""
            import gc, threading
            keep = []
            class O:
                pass
            def work():
                mine = [O() for _ in range(300)]
                for o in mine:
                    o.x = 1
                keep.extend(mine)
            threads = [threading.Thread(target=work) for _ in range(5)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            lives = [o for o in gc.get_objects() if type(o).__name__ == "Life"]
            print("LIVES", len(lives), len(keep))
        """)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "prog.py")
            with open(path, "w") as f:
                f.write(prog)
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), PYTHON_GIL="0")
            out = subprocess.run([sys.executable, "-m", "ftpy_runtime.race", "--", path],
                                 capture_output=True, text=True, env=env, timeout=120)
        line = [x for x in out.stdout.splitlines() if x.startswith("LIVES")]
        self.assertEqual(line, ["LIVES 0 1500"], out.stdout + out.stderr)

    def test_colliding_keys_never_call_a_held_object(self):
        # lk = id(obj) ^ site: pick sites so that a weakly referenced object and a held,
        # callable one meet under the same key, in both orders and from every hook.
        a, h, k = self.ts.hook_a, self.ts.hook_h, self.ts.hook_k
        inst, held = Inst(), Called()
        s1 = 1 << 40
        for first, second in ((inst, held), (held, inst)):
            s2 = id(first) ^ s1 ^ id(second)
            for hook in (a, h):
                hook(first, s1)
                hook(second, s2)
                self.ts.release()
            s1 += 1 << 30
        k(held, 50, "key")
        k(inst, 50, "key")
        self.assertEqual(held.calls, 0)
        logged = self.logged()
        self.assertEqual(sum(1 for _, _, o in logged if o is held), 5)
        self.assertEqual(sum(1 for _, _, o in logged if o is inst), 5)


class HolderTest(unittest.TestCase):
    def test_the_holder_is_immortal_and_each_thread_gets_its_own_hooks(self):
        holder = hooks.HookHolder()
        if not hooks._immortalize(Inst()):   # 3.13t, where ob_tid is the thread's ident
            self.skipTest("the holder is made immortal on free-threaded 3.13 only")
        self.assertEqual(sys.getrefcount(holder), 0xFFFFFFFF)
        seen = []
        t = threading.Thread(target=lambda: seen.append((holder.a, holder.h, holder.k)))
        t.start()
        t.join()
        self.assertEqual(seen, [(hooks._noop_a, hooks._noop_a, hooks._noop_k)])

    def test_the_holder_class_names_the_thread_module_and_owns_that_reference(self):
        # Attribute lookups on a _thread._local subclass find the module's state at once
        # when the class names _thread as its module (hooks._share_module); the class then
        # holds one more reference to the module, dropped when the class is freed.
        import _thread
        module = sys.modules["_thread"]

        class Holder(_thread._local):
            pass

        before = sys.getrefcount(module)
        if not hooks._share_module(Holder):
            self.skipTest("only the layout of free-threaded 3.13 is known")
        self.assertFalse(hooks._share_module(Holder))      # never twice
        self.assertFalse(hooks._share_module(Inst))         # not a _thread._local
        h = Holder()
        seen = []

        def use() -> None:
            h.x = threading.get_ident()
            seen.append(h.x == threading.get_ident())

        threads = [threading.Thread(target=use) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(seen, [True] * 4)
        if sys.getrefcount(module) < 0xFFFFFFFF:           # (an immortal module counts nothing)
            self.assertEqual(sys.getrefcount(module), before + 1)
        del h, Holder, use
        gc.collect()
        if sys.getrefcount(module) < 0xFFFFFFFF:
            self.assertEqual(sys.getrefcount(module), before)

    def test_what_a_session_patches_in_is_immortal_and_nothing_of_the_program_is(self):
        # Nested functions get no deferred reference count on 3.13t: every thread's call of
        # a lock wrapper's __enter__ would add to one shared count (hooks.share_between_threads).
        if not hooks._immortalize(Inst()):
            self.skipTest("immortal objects are made on free-threaded 3.13 only")
        import json
        import subprocess
        import textwrap
        driver = textwrap.dedent("""
            import json, sys, threading
            from ftpy_runtime.race import RaceSession, hooks
            s = RaceSession(root_dirs=["/nonexistent"], cache_dir=None)
            s.install()
            def outer():
                y = []
                def mine():
                    return y
                return mine
            mine = outer()
            hooks.share_between_threads(mine)
            enter = threading.Lock.__enter__
            rc = sys.getrefcount
            print(json.dumps({
                "enter": rc(enter), "exit": rc(threading.Lock.__exit__),
                "enter_closure": enter.__closure__ is None,
                "cells": [rc(c) for c in threading.Event.is_set.__closure__],
                "rlock": rc(type(threading.RLock()).__enter__),
                "is_set": rc(threading.Event.is_set), "mine": rc(mine),
                "mine_cell": rc(mine.__closure__[0])}))
            s.finish()
        """)
        import os
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        out = subprocess.run([sys.executable, "-c", driver], capture_output=True, text=True,
                             env=env, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        got = json.loads(out.stdout.strip().splitlines()[-1])
        immortal = 0xFFFFFFFF
        for key in ("enter", "exit", "rlock", "is_set"):
            self.assertEqual(got[key], immortal, key)
        self.assertTrue(got["enter_closure"])    # (every read of a cell locks it on 3.13t)
        self.assertTrue(got["cells"])
        self.assertEqual(got["cells"], [immortal] * len(got["cells"]))
        self.assertLess(got["mine"], immortal)          # the program's own: never touched
        self.assertLess(got["mine_cell"], immortal)


if __name__ == "__main__":
    unittest.main()
