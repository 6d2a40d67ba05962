"""A program behaves exactly as it does without the race detector (issue 10, section 2).

Each test runs a small program twice, plainly and under ``python -m ftpy_runtime.race``, in
a fresh free-threaded interpreter, and compares what it printed and its exit status.  Each
program prints what the detector once changed (found by running CPython's own test modules
under it, test_race_cpython.py); the comment on each says what went wrong before.
"""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

PYTHON = os.environ.get("FTPY_TEST_PYTHON") or sys.executable
RUNTIME = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "runtime")
RUNTIME = os.environ.get("FTPY_FIDELITY_RUNTIME", RUNTIME)
RACE_EXIT = 66


def run(source, race, args=(), timeout=120):
    with tempfile.TemporaryDirectory() as d:
        prog = os.path.join(d, "prog.py")
        with open(prog, "w") as f:
            f.write(textwrap.dedent(source))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["PYTHONPATH"] = RUNTIME
        env["FTPY_RACE_CACHE"] = os.path.join(d, "cache")
        cmd = [PYTHON, "-X", "faulthandler"]
        if race:
            cmd += ["-m", "ftpy_runtime.race", "--json", os.path.join(d, "r.json")]
        cmd += [prog, *[a.replace("{dir}", d) for a in args]]
        p = subprocess.run(cmd, cwd=d, env=env, capture_output=True, text=True, timeout=timeout)
        reports = None
        if race and os.path.exists(os.path.join(d, "r.json")):
            with open(os.path.join(d, "r.json")) as f:
                reports = json.load(f)["races"]
        return p, reports


class SameBehaviour(unittest.TestCase):
    def same(self, source, args=(), racy=False):
        plain, _ = run(source, False, args)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        raced, reports = run(source, True, args)
        self.assertEqual(raced.stdout, plain.stdout, raced.stderr[-3000:])
        self.assertEqual(raced.returncode, RACE_EXIT if racy else 0, raced.stderr[-3000:])
        return plain.stdout, reports

    def test_threads_started_with__thread_start_new_thread(self):
        # They died on their first instrumented access or patched Lock/Event: 'HookHolder'
        # object has no attribute 'ts' (and CPython's test_thread hung).
        out, _ = self.same('''
            import _thread, threading, time
            class Box:
                pass
            box = Box()
            box.items = []
            done = _thread.allocate_lock()
            done.acquire()
            def worker(n):
                lock = threading.Lock()
                ev = threading.Event()
                with lock:
                    box.items.append(n)
                ev.set()
                print("worker", n, ev.is_set(), box.items, flush=True)
                done.release()
            _thread.start_new_thread(worker, (1,))
            done.acquire()
            time.sleep(0.05)
            print(sorted(t.name for t in threading.enumerate()))
        ''')
        self.assertIn("worker 1 True [1]", out)
        self.assertIn("['MainThread']", out)

    def test_objects_die_when_they_do_without_the_detector(self):
        # The per-thread logs held every object accessed until the next flush: finalizers,
        # weakref callbacks, __del__ and generators' finally ran late, and `del executor`
        # no longer shut its pool down.
        out, _ = self.same('''
            import gc, weakref, threading
            from concurrent.futures import ThreadPoolExecutor
            events = []
            class Res:
                def __del__(self):
                    events.append("del")
            def use():
                r = Res()
                r.value = 1
                r.value += 1
                return r.value
            use()
            events.append("after use")
            class Node:
                pass
            n = Node()
            n.self = n
            weakref.finalize(n, events.append, "finalized")
            ref = weakref.ref(n, lambda _: events.append("callback"))
            del n
            gc.collect()
            events.append("after collect")
            def gen(box):
                try:
                    box.n = 1
                    yield box.n
                finally:
                    events.append("gen finally")
            class B:
                pass
            g = gen(B())
            next(g)
            del g
            events.append("after del gen")
            def tup(d):
                for item in d.items():     # the item tuples hold the values
                    if item[0] == 1:
                        d[1] = None
            d = {1: Res()}
            tup(d)
            events.append("after replace")
            def task(box):
                box.v = 1
                return box.v
            ex = ThreadPoolExecutor(2)
            print(ex.submit(task, B()).result())
            workers = list(ex._threads)
            wex = weakref.ref(ex)
            del ex
            gc.collect()
            for t in workers:
                t.join(5)
            print(wex() is None, [t.is_alive() for t in workers])
            print(events)
        ''')
        self.assertIn("['del', 'after use', ", out)
        self.assertIn("True [False]", out)

    def test_patched_locks_look_like_the_real_ones(self):
        # threading.Lock was a local class: spawn/forkserver pools and Managers failed to
        # pickle it, it could be subclassed, RLock.__module__ changed, Event.isSet stopped
        # warning.
        self.same('''
            import multiprocessing as mp, pickle, threading, warnings
            def main():
                print(pickle.loads(pickle.dumps(threading.Lock)) is threading.Lock)
                print(threading.RLock.__module__, threading.RLock.__name__, type(threading.RLock).__name__)
                for base in (threading.Lock, threading.RLock):
                    try:
                        class Sub(base):
                            pass
                        print("subclassed", base)
                    except TypeError as e:
                        print("TypeError:", e)
                lock = threading.Lock()
                print(sorted(dir(lock)))
                try:
                    pickle.dumps(lock)
                except TypeError as e:
                    print("TypeError:", e)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    threading.Event().isSet()
                    c = threading.Condition()
                    with c:
                        c.notifyAll()
                    print([str(w.message) for w in caught])
                with mp.get_context("spawn").Pool(1) as pool:
                    print(pool.map(abs, [-1, -2]))
                with mp.get_context("spawn").Manager() as m:
                    lk = m.Lock()
                    with lk:
                        print("manager lock", type(lk).__name__)
            if __name__ == "__main__":
                main()

        ''')

    def test_fork_child_keeps_its_exit_status_and_leaves_the_files_alone(self):
        # A fork child's os._exit(7) exited 66 and rewrote the parent's --json/--sarif.
        out, reports = self.same('''
            import os, sys, threading
            class B:
                pass
            b = B()
            b.v = 0
            def bump():
                b.v += 1
            t = threading.Thread(target=bump)
            t.start()
            b.v += 1          # a race, in the parent, before the fork
            t.join()
            pid = os.fork()
            if pid == 0:
                os._exit(7)
            _, status = os.waitpid(pid, 0)
            print("child", os.waitstatus_to_exitcode(status))
            print("files written by the child:", os.path.exists(sys.argv[1]))
        ''', args=["{dir}/r.json"], racy=True)
        self.assertIn("child 7", out)
        self.assertIn("files written by the child: False", out)
        self.assertEqual(len(reports), 1)

    def test_no_rewriter_artefacts_are_visible(self):
        # `_ftpy_*` names were in locals(), dir() and the module's globals;
        # types.FunctionType(code, {}) raised NameError; a prologue added a line event.
        self.same('''
            import sys, types
            class C:
                pass
            def f(obj, d, key):
                obj.x = d[key] + 1
                return sorted(locals()), dir()
            print(f(C(), {"k": 1}, "k"))
            print(sorted(k for k in globals() if k.startswith("_ftpy")))
            def gen(it):
                for x in it:
                    yield x.real
            g2 = types.FunctionType(gen.__code__, {})
            print(list(g2([1, 2])))
            def traced(c):
                c.a = 1
                return c.a
            lines = []
            def tracer(frame, event, arg):
                if frame.f_code is traced.__code__ and event == "line":
                    lines.append(frame.f_lineno - traced.__code__.co_firstlineno)
                return tracer
            sys.settrace(tracer)
            traced(C())
            sys.settrace(None)
            print(lines)
        ''')

    def test_hooks_run_no_user_code_and_survive_replaced_builtins(self):
        # __hash__ ran twice per keyed access; the detector called the program's
        # __getattribute__('__class__'); replacing builtins.len broke the hooks.
        self.same('''
            import builtins, threading
            calls = []
            class Key:
                def __hash__(self):
                    calls.append("hash")
                    return 7
                def __eq__(self, other):
                    return self is other
            d = {}
            k = Key()
            d[k] = 1
            print(d[k], k in d, d.get(k), calls)
            class Sneaky:
                def __getattribute__(self, name):
                    if name == "__class__":
                        calls.append("__class__")
                    return object.__getattribute__(self, name)
            s = Sneaky()
            for i in range(3):
                s.v = i
            t = threading.Thread(target=print)    # join() hands the log to the detector
            t.start()
            t.join()
            print(s.v, calls.count("__class__"))
            real_len = builtins.len
            builtins.len = lambda x: 0
            class Box:
                pass
            b = Box()
            for i in range(5000):
                b.n = i
                lst = [i]
                lst.append(b.n)
            builtins.len = real_len
            print(b.n, lst)
        ''')


if __name__ == "__main__":
    unittest.main()
