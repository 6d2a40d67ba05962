"""Threads and locks made with ``_thread`` directly (race/rawthreads.py).

Before: a ``_thread.start_new_thread`` thread's log was never checked (its races were never
reported) and its clock started empty; ``_thread.allocate_lock()`` gave no edges.  Each test
runs a program plainly and under ``python -m ftpy_runtime.race`` and compares what it printed
(stdout and stderr) and its exit status, then what was reported.
"""

import re
import unittest

from test.python.test_race_fidelity import RACE_EXIT, run


def _neutral(text):
    """`text` without what differs between two runs: the temporary folder, addresses."""
    return re.sub(r"0x[0-9a-f]+", "0x?", re.sub(r"/tmp/[^/]+/", "/tmp/?/", text))


class RawThreads(unittest.TestCase):
    def both(self, source):
        plain, _ = run(source, False)
        raced, reports = run(source, True)
        return plain, raced, reports or []

    def test_race_with_a_raw_thread_is_reported(self):
        plain, raced, reports = self.both('''
            import _thread, time
            class C:
                n = 0
            c = C()
            done = []
            def worker():
                c.n += 1
                done.append(1)
            _thread.start_new_thread(worker, ())
            c.n += 1
            # The flag, then no thread of _thread's running: its log has been checked by then
            # (the flag alone could let the program end first).
            while not done or _thread._count():
                time.sleep(0.01)
            print("ok")
        ''')
        self.assertEqual(raced.stdout, plain.stdout)
        self.assertEqual(raced.returncode, RACE_EXIT, raced.stderr[-3000:])
        self.assertTrue(any(r["current"]["thread"]["name"].startswith("Dummy-")
                            or r["previous"]["thread"]["name"].startswith("Dummy-") for r in reports),
                        reports)

    def test_start_and_raw_lock_are_edges(self):
        # Written before the start, read by the child; written by the child before it releases
        # a raw lock that the parent then acquires: no race.
        plain, raced, reports = self.both('''
            import _thread
            class Box:
                value = 0
            box = Box()
            box.value = 41
            done = _thread.allocate_lock()
            done.acquire()
            def child(step, *, twice):
                box.value = box.value + step * (2 if twice else 1)
                done.release()
            _thread.start_new_thread(child, (1,), {"twice": False})
            with done:
                print(box.value)
        ''')
        self.assertEqual(raced.stdout, plain.stdout)
        self.assertEqual(raced.stdout, "42\n")
        self.assertEqual(raced.returncode, 0, raced.stderr[-3000:])
        self.assertEqual(reports, [])

    def test_uncaught_exception_is_reported_as_thread_reports_it(self):
        # _thread's message names the program's function and the traceback starts in it;
        # SystemExit ends the thread quietly.  Nothing of the detector shows.
        source = '''
            import _thread, sys, time
            seen = []
            def hook(u):
                seen.append((u.exc_type.__name__, str(u.exc_value), u.err_msg.split(" at 0x")[0],
                             u.object, u.exc_traceback.tb_frame.f_code.co_name))
            sys.unraisablehook = hook
            def fails():
                raise ValueError("boom")
            def leaves():
                raise SystemExit(3)
            for f in (fails, leaves):
                _thread.start_new_thread(f, ())
            time.sleep(0.5)
            print(seen)
            sys.unraisablehook = sys.__unraisablehook__
            _thread.start_new_thread(fails, ())
            time.sleep(0.5)
        '''
        plain, raced, _ = self.both(source)
        self.assertIn("ValueError", plain.stdout)
        self.assertEqual(raced.stdout, plain.stdout)
        self.assertEqual(_neutral(raced.stderr), _neutral(plain.stderr))
        self.assertNotIn("ftpy_runtime", raced.stderr)

    def test_bad_arguments_get_threads_own_errors(self):
        plain, raced, _ = self.both('''
            import _thread
            for args in ((1, ()), (print, [1]), (print, (), [])):
                try:
                    _thread.start_new_thread(*args)
                except TypeError as e:
                    print(e)
            print(type(_thread.allocate_lock()).__name__ in ("lock", "Lock"))
        ''')
        self.assertEqual(raced.stdout, plain.stdout)
        self.assertEqual(raced.returncode, 0, raced.stderr[-3000:])


if __name__ == "__main__":
    unittest.main()
