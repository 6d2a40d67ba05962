"""Tests for ftpy_runtime.objectmodel.locks: tracked locks, held/waiting snapshots, deadlock cycles."""

from __future__ import annotations

import _thread
import json
import os
import queue
import subprocess
import sys
import textwrap
import threading
import time
import unittest

from ftpy_runtime.objectmodel import locks

RUNTIME_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "runtime")
WAIT = 60.0  # generous: the machine may be loaded


def _poll(predicate, timeout: float = WAIT):
    """Call predicate until it returns something truthy, or fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def _snapshot_once_waiting(ident: int) -> dict:
    """A locks.snapshot() taken once thread `ident` shows up as waiting."""

    def attempt():
        snap = locks.snapshot()
        return snap if any(e["thread"]["id"] == ident for e in snap["waiting"]) else None

    return _poll(attempt)


class InstalledTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.was_installed = locks.installed()
        locks.install()

    def tearDown(self) -> None:
        if not self.was_installed:
            locks.uninstall()


class CompatibilityTest(InstalledTestCase):
    """Tracked locks must behave exactly like the ones they replace."""

    def test_a_lock_is_the_plain_c_lock_and_an_rlock_is_tracked(self) -> None:
        # A Lock is never wrapped: only where it was made is noted (the holder is found at stops).
        for lock in (threading.Lock(), _thread.allocate_lock(), _thread.allocate()):
            self.assertIs(type(lock), _thread.LockType)
            self.assertIsNotNone(locks.tracked.lock_site(lock))
        self.assertNotIsInstance(threading.Lock(), _thread.RLock)
        self.assertIsInstance(threading.RLock(), locks.TrackedRLock)
        locks.install()  # twice is harmless
        self.assertIs(type(threading.Lock()), _thread.LockType)
        self.assertEqual(repr(threading.Lock), repr(_thread.LockType))

    def test_isinstance_still_holds(self) -> None:
        self.assertIsInstance(threading.Lock(), threading.Lock)
        self.assertIsInstance(locks.tracked._raw_allocate_lock(), threading.Lock)
        self.assertTrue(issubclass(_thread.LockType, threading.Lock))
        self.assertIsInstance(threading.RLock(), _thread.RLock)
        self.assertNotIsInstance(object(), threading.Lock)

    def test_a_dead_locks_note_goes_with_it(self) -> None:
        before = len(locks.tracked._sites)
        made = [threading.Lock() for _ in range(100)]
        self.assertGreaterEqual(len(locks.tracked._sites), before + 100)
        del made
        self.assertLessEqual(len(locks.tracked._sites), before)

    def test_lock_api(self) -> None:
        lock = threading.Lock()
        self.assertFalse(lock.locked())
        self.assertTrue(lock.acquire())
        self.assertTrue(lock.locked())
        self.assertFalse(lock.acquire(False))
        self.assertFalse(lock.acquire(blocking=False))
        self.assertFalse(lock.acquire(timeout=0.01))
        with self.assertRaises(ValueError):
            lock.acquire(False, 1)
        lock.release()
        with self.assertRaises(RuntimeError):
            lock.release()
        with lock as entered:
            self.assertIs(entered, True)
            self.assertTrue(lock.locked())
            # Not reentrant, in a with block too: its holder asking again waits, as without the debugger.
            t0 = time.monotonic()
            self.assertFalse(lock.acquire(timeout=0.1))
            self.assertGreaterEqual(time.monotonic() - t0, 0.09)
        self.assertFalse(lock.locked())
        self.assertTrue(lock.acquire_lock())
        self.assertTrue(lock.locked_lock())
        lock.release_lock()
        lock.acquire()
        lock._at_fork_reinit()
        self.assertFalse(lock.locked())
        self.assertIn("unlocked", repr(lock))

    def test_lock_released_by_another_thread(self) -> None:
        lock = threading.Lock()
        lock.acquire()
        t = threading.Thread(target=lock.release)
        t.start()
        t.join(WAIT)
        self.assertFalse(lock.locked())

    def test_rlock_api(self) -> None:
        rlock = threading.RLock()
        with rlock:
            with rlock:
                self.assertEqual(rlock._owner, threading.get_ident())
                self.assertEqual(rlock._count, 2)
                self.assertEqual(rlock._recursion_count(), 2)
                self.assertTrue(rlock._is_owned())
            self.assertEqual(rlock._count, 1)
        self.assertEqual(rlock._owner, 0)
        self.assertFalse(rlock._is_owned())
        with self.assertRaises(RuntimeError):
            rlock.release()
        self.assertTrue(rlock.acquire(False))
        rlock.release()
        self.assertIn("unlocked", repr(rlock))

    def test_rlock_is_not_released_by_other_threads(self) -> None:
        rlock = threading.RLock()
        rlock.acquire()
        errors = []

        def other() -> None:
            try:
                rlock.release()
            except RuntimeError as e:
                errors.append(e)
            errors.append(rlock.acquire(timeout=0.01))

        t = threading.Thread(target=other)
        t.start()
        t.join(WAIT)
        self.assertIsInstance(errors[0], RuntimeError)
        self.assertIs(errors[1], False)
        self.assertEqual(rlock._owner, threading.get_ident())
        rlock.release()

    def test_condition_event_semaphore_queue_barrier(self) -> None:
        cond = threading.Condition()  # on a tracked RLock
        self.assertIsInstance(cond._lock, locks.TrackedRLock)
        items: list[int] = []

        def producer() -> None:
            for i in range(50):
                with cond:
                    items.append(i)
                    cond.notify()

        t = threading.Thread(target=producer)
        with cond:
            t.start()
            self.assertTrue(cond.wait_for(lambda: len(items) == 50, timeout=WAIT))
        t.join(WAIT)

        plain_cond = threading.Condition(threading.Lock())
        with plain_cond:
            self.assertFalse(plain_cond.wait(0.01))
            self.assertTrue(plain_cond._lock.locked())

        event = threading.Event()
        threading.Timer(0.01, event.set).start()
        self.assertTrue(event.wait(WAIT))

        sem = threading.BoundedSemaphore(2)
        self.assertTrue(sem.acquire())
        self.assertTrue(sem.acquire())
        self.assertFalse(sem.acquire(timeout=0.01))
        sem.release()
        sem.release()
        with self.assertRaises(ValueError):
            sem.release()

        q: queue.Queue[int] = queue.Queue(maxsize=2)
        self.assertIs(type(q.mutex), _thread.LockType)
        self.assertIsNotNone(locks.tracked.lock_site(q.mutex))
        out: list[int] = []
        consumer = threading.Thread(target=lambda: out.extend(q.get() for _ in range(100)))
        consumer.start()
        for i in range(100):
            q.put(i)
        consumer.join(WAIT)
        self.assertEqual(out, list(range(100)))

        barrier = threading.Barrier(3)
        ts = [threading.Thread(target=barrier.wait) for _ in range(2)]
        for th in ts:
            th.start()
        barrier.wait(WAIT)
        for th in ts:
            th.join(WAIT)

    def test_creation_site_is_the_callers_line(self) -> None:
        lock = threading.Lock(); line = sys._getframe().f_lineno  # noqa: E702
        self.assertEqual(locks.tracked.lock_site(lock), (__file__, line))
        rlock = threading.RLock(); line = sys._getframe().f_lineno  # noqa: E702
        self.assertEqual((rlock._file, rlock._line), (__file__, line))

    def test_uninstall_restores_the_originals(self) -> None:
        locks.uninstall()
        try:
            self.assertIs(threading.Lock, _thread.LockType)
            self.assertIsNone(locks.tracked.lock_site(threading.Lock()))
            self.assertNotIsInstance(threading.RLock(), locks.TrackedRLock)
            self.assertFalse(locks.installed())
        finally:
            locks.install()


class SnapshotTest(InstalledTestCase):
    def test_held_and_waiting(self) -> None:
        lock = threading.Lock()
        got_it = threading.Event()
        release = threading.Event()

        def holder() -> None:
            with lock:
                got_it.set()
                release.wait(WAIT)

        def blocked_worker() -> None:
            with lock:  # blocks until holder lets go
                pass

        h = threading.Thread(target=holder, name="holder")
        h.start()
        self.assertTrue(got_it.wait(WAIT))
        w = threading.Thread(target=blocked_worker, name="blocked")
        w.start()
        try:
            snap = _snapshot_once_waiting(w.ident)
            lock_id = f"{id(lock):#x}"
            held = [e for e in snap["held"] if e["lock"]["id"] == lock_id]
            self.assertEqual(len(held), 1)
            self.assertEqual(held[0]["owner"], {"id": h.ident, "name": "holder"})
            self.assertEqual(held[0]["lock"]["type"], "Lock")
            self.assertTrue(held[0]["lock"]["locked"])
            waiting = next(e for e in snap["waiting"] if e["thread"]["id"] == w.ident)
            self.assertEqual(waiting["thread"]["name"], "blocked")
            self.assertEqual(waiting["kind"], "lock")
            self.assertEqual(waiting["lock"]["id"], lock_id)
            self.assertEqual(waiting["owner"], {"id": h.ident, "name": "holder"})
            top = waiting["stack"][0]
            self.assertEqual(top["function"], f"{type(self).__qualname__}.test_held_and_waiting.<locals>.blocked_worker")
            self.assertEqual(top["file"], os.path.abspath(__file__))
            self.assertEqual(locks.find_deadlocks(snap=snap), [])
        finally:
            release.set()
            h.join(WAIT)
            w.join(WAIT)
        after = locks.snapshot()
        self.assertNotIn(f"{id(lock):#x}", [e["lock"]["id"] for e in after["held"]])

    def test_rlock_held_with_count_and_timed_wait(self) -> None:
        rlock = threading.RLock()
        release = threading.Event()
        got_it = threading.Event()

        def holder() -> None:
            with rlock, rlock:
                got_it.set()
                release.wait(WAIT)

        h = threading.Thread(target=holder, name="rholder")
        h.start()
        self.assertTrue(got_it.wait(WAIT))
        results: list[bool] = []
        owners: list[tuple[int, int]] = []

        def timed() -> None:
            results.append(rlock.acquire(timeout=WAIT))
            owners.append((rlock._owner, rlock._count))  # type: ignore[attr-defined]
            # Let go before ending: an RLock left held by a dead thread would be "held" by the
            # next thread given the same ident (idents are reused), in whatever test runs next.
            rlock.release()

        w = threading.Thread(target=timed, name="timed")
        w.start()
        try:
            snap = _snapshot_once_waiting(w.ident)
            held = next(e for e in snap["held"] if e["lock"]["id"] == f"{id(rlock):#x}")
            self.assertEqual(held["count"], 2)
            self.assertEqual(held["owner"]["name"], "rholder")
            waiting = next(e for e in snap["waiting"] if e["thread"]["id"] == w.ident)
            self.assertEqual(waiting["lock"]["type"], "RLock")
            self.assertEqual(waiting["owner"]["name"], "rholder")
        finally:
            release.set()
            h.join(WAIT)
            w.join(WAIT)
        self.assertEqual(results, [True])
        self.assertEqual(owners, [(w.ident, 1)])  # it took the lock once the holder let go

    def test_condition_waits_are_reported_but_never_a_cycle(self) -> None:
        event = threading.Event()
        w = threading.Thread(target=event.wait, args=(WAIT,), name="event-waiter")
        w.start()
        try:
            snap = _snapshot_once_waiting(w.ident)
            entry = next(e for e in snap["waiting"] if e["thread"]["id"] == w.ident)
            self.assertEqual(entry["kind"], "condition")
            self.assertEqual(entry["condition"], f"{id(event._cond):#x}")
            self.assertEqual(locks.find_deadlocks(snap=snap), [])
        finally:
            event.set()
            w.join(WAIT)

    def test_the_debuggers_own_locks_are_left_out(self) -> None:
        ns: dict = {"threading": threading}
        exec(compile("lock = threading.Lock()", os.path.join(RUNTIME_DIR, "ftpy_runtime", "agent_like.py"), "exec"), ns)
        ours, theirs = ns["lock"], threading.Lock()
        with ours, theirs:
            held = {e["lock"]["id"] for e in locks.snapshot()["held"]}
        self.assertIn(f"{id(theirs):#x}", held)
        self.assertNotIn(f"{id(ours):#x}", held)

    def test_double_lock_of_a_plain_lock(self) -> None:
        lock = threading.Lock()
        first = threading.Event()

        def twice() -> None:
            lock.acquire()
            first.set()
            lock.acquire()  # waits for itself, until another thread releases
            lock.release()

        t = threading.Thread(target=twice, name="twice")
        t.start()
        try:
            self.assertTrue(first.wait(WAIT))
            found = _poll(lambda: locks.find_deadlocks())
            self.assertEqual(len(found), 1)
            self.assertEqual(found[0]["kind"], "double-lock")
            self.assertEqual([th["name"] for th in found[0]["threads"]], ["twice"])
            self.assertIn("double lock", found[0]["text"])
        finally:
            lock.release()  # a plain Lock may be released by any thread
            t.join(WAIT)
        self.assertFalse(lock.locked())

    def test_snapshot_does_not_take_threadings_registry_lock(self) -> None:
        # While a debugger has stopped the world, a parked thread may hold
        # threading's registry lock; a snapshot must not wait for it.
        lock = threading.Lock()
        answers: "queue.SimpleQueue[dict]" = queue.SimpleQueue()
        with lock, threading._active_limbo_lock:  # type: ignore[attr-defined]
            # Starting a threading.Thread takes the registry lock too: use the raw API.
            _thread.start_new_thread(lambda: answers.put(locks.snapshot()), ())
            snap = answers.get(timeout=WAIT)
        owners = [h["owner"]["name"] for h in snap["held"] if h["lock"]["id"] == f"{id(lock):#x}"]
        self.assertEqual(owners, [threading.current_thread().name])

    def test_anyone_waiting(self) -> None:
        lock = threading.Lock()
        lock.acquire()
        t = threading.Thread(target=lambda: (lock.acquire(), lock.release()), name="waiter")
        t.start()
        try:
            self.assertTrue(_poll(lambda: locks.anyone_waiting(sys._current_frames())))
        finally:
            lock.release()
            t.join(WAIT)
        self.assertFalse(locks.anyone_waiting(sys._current_frames()))


DEADLOCK_PROGRAM = textwrap.dedent(
    """
    import json, os, sys, threading, time
    from ftpy_runtime.objectmodel import locks
    locks.install()

    lock_a = threading.Lock()
    lock_b = threading.RLock()
    both_hold_one = threading.Barrier(2)

    def a_then_b():
        with lock_a:
            both_hold_one.wait()
            with lock_b:  # LINE_A
                pass

    def b_then_a():
        with lock_b:
            both_hold_one.wait()
            with lock_a:  # LINE_B
                pass

    threading.Thread(target=a_then_b, name="worker-a", daemon=True).start()
    threading.Thread(target=b_then_a, name="worker-b", daemon=True).start()
    deadline = time.monotonic() + 30
    found = []
    while not found and time.monotonic() < deadline:
        time.sleep(0.05)
        found = locks.find_deadlocks()
    print(json.dumps({"deadlocks": found, "ids": {"a": hex(id(lock_a)), "b": hex(id(lock_b))}}))
    sys.stdout.flush()
    os._exit(0)
    """
)


class DeadlockTest(unittest.TestCase):
    def test_two_lock_cycle_is_reported_with_both_threads(self) -> None:
        self.check_two_lock_cycle(sys.executable)

    def test_two_lock_cycle_on_a_gil_build(self) -> None:
        from test.python.test_headers import _gil_pythons

        pythons = _gil_pythons()
        if not pythons:
            self.skipTest("no GIL-build Python >= 3.12 found on PATH or in ~/.pyenv")
        self.check_two_lock_cycle(pythons[0])

    def check_two_lock_cycle(self, python: str) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "deadlock_program.py")
            with open(path, "w") as f:
                f.write(DEADLOCK_PROGRAM)
            lines = DEADLOCK_PROGRAM.splitlines()
            line_a = next(i for i, s in enumerate(lines, 1) if "# LINE_A" in s)
            line_b = next(i for i, s in enumerate(lines, 1) if "# LINE_B" in s)
            env = dict(os.environ, PYTHONPATH=RUNTIME_DIR)
            # The watchdog: the program exits by itself once it has reported;
            # if it can't, the timeout kills it and the test fails, never hangs.
            r = subprocess.run([python, path], capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        found = out["deadlocks"]
        self.assertEqual(len(found), 1, r.stdout)
        dl = found[0]
        self.assertEqual(dl["kind"], "lock-order-inversion")
        by_name = {t["name"]: t for t in dl["threads"]}
        self.assertEqual(set(by_name), {"worker-a", "worker-b"})
        a, b = by_name["worker-a"], by_name["worker-b"]
        self.assertEqual(a["waiting_for"]["id"], out["ids"]["b"])
        self.assertEqual(b["waiting_for"]["id"], out["ids"]["a"])
        self.assertEqual([m["id"] for m in a["holding"]], [out["ids"]["a"]])
        self.assertEqual([m["id"] for m in b["holding"]], [out["ids"]["b"]])
        self.assertEqual((a["stack"][0]["function"], a["stack"][0]["line"]), ("a_then_b", line_a))
        self.assertEqual((b["stack"][0]["function"], b["stack"][0]["line"]), ("b_then_a", line_b))
        self.assertEqual(a["stack"][0]["file"], path)
        self.assertEqual({m["id"] for m in dl["locks"]}, {out["ids"]["a"], out["ids"]["b"]})
        text = dl["text"]
        self.assertIn("WARNING: ftpy: lock-order-inversion (potential deadlock)", text)
        self.assertIn("Cycle in lock order graph", text)
        self.assertIn("'worker-a'", text)
        self.assertIn("'worker-b'", text)
        self.assertIn(f"a_then_b {path}:{line_a}", text)
        self.assertIn(f"b_then_a {path}:{line_b}", text)
        self.assertIn("SUMMARY: ftpy: lock-order-inversion", text)


if __name__ == "__main__":
    unittest.main()
