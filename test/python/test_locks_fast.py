"""Tracked locks at a plain lock's speed: a ``Lock`` is the plain C lock and a ``with`` block runs
no Python code, yet the snapshot names the holders (an RLock's from the C lock's own record, a
Lock's from the stopped threads' frames: the ``with`` blocks they are inside, the ``acquire()``
calls they have not undone), sees threads blocked in a ``with`` (from their innermost frame), and
finds the deadlocks of both forms."""

from __future__ import annotations

import _thread
import sys
import threading
import time
import unittest
from typing import Any

from ftpy_runtime.objectmodel import locks

WAIT = 60.0  # generous: the machine may be loaded


def _poll(predicate: Any, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def _waiting_entry(ident: int) -> dict[str, Any]:
    """The snapshot's entry for thread `ident`, once it shows up as waiting."""

    def attempt() -> dict[str, Any] | None:
        return next((e for e in locks.snapshot()["waiting"] if e["thread"]["id"] == ident), None)

    return _poll(attempt)


class Box:
    def __init__(self) -> None:
        self.lock = threading.Lock()


class InstalledTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.was_installed = locks.installed()
        locks.install()

    def tearDown(self) -> None:
        if not self.was_installed:
            locks.uninstall()


class FastPathTest(InstalledTestCase):
    def test_a_with_block_runs_no_python_code(self) -> None:
        # The old tracked locks ran three Python functions per block (2.4x on the `locked` bench).
        lock, rlock = threading.Lock(), threading.RLock()
        self.assertIs(type(lock), _thread.LockType)
        self.assertIsInstance(rlock, locks.TrackedRLock)
        calls: list[str] = []

        def profile(frame: Any, event: str, arg: Any) -> None:
            if event == "call":
                calls.append(frame.f_code.co_qualname)

        sys.setprofile(profile)
        try:
            with lock:
                with rlock, rlock:
                    pass
        finally:
            sys.setprofile(None)
        self.assertEqual([c for c in calls if c != "FastPathTest.test_a_with_block_runs_no_python_code"], [])
        self.assertFalse(lock.locked())
        self.assertFalse(rlock.locked())

    def test_the_holders_of_with_and_acquire_are_named_and_the_rest_unknown(self) -> None:
        by_with, by_acquire, by_try, in_callee = (threading.Lock() for _ in range(4))
        cond = threading.Condition(threading.Lock())
        rlock = threading.RLock()
        ready = threading.Event()
        finish = threading.Event()

        def take() -> None:
            in_callee.acquire()  # held after take() returns: no frame shows who holds it

        def holder() -> None:
            take()
            by_acquire.acquire()
            by_try.acquire()
            try:
                with by_with, rlock, rlock, cond:
                    ready.set()
                    finish.wait(WAIT)
            finally:
                by_try.release()
            by_acquire.release()

        t = threading.Thread(target=holder, name="holder")
        t.start()
        try:
            self.assertTrue(ready.wait(WAIT))
            held = {h["lock"]["id"]: h for h in locks.snapshot()["held"]}
            who = {"id": t.ident, "name": "holder"}
            for lock, count in ((by_with, 1), (by_acquire, 1), (by_try, 1), (cond._lock, 1), (rlock, 2)):  # type: ignore[attr-defined]
                entry = held[f"{id(lock):#x}"]
                self.assertEqual(entry["owner"], who, entry)
                self.assertEqual(entry["count"], count)
            self.assertIsNone(held[f"{id(in_callee):#x}"]["owner"], "unknown, not guessed")
        finally:
            finish.set()
            t.join(WAIT)
        self.assertFalse(any(x.locked() for x in (by_with, by_acquire, by_try)))
        in_callee.release()
        self.assertEqual(locks.snapshot()["held"], [])

    def test_a_released_lock_and_a_failed_acquire_are_not_held(self) -> None:
        lock, other = threading.Lock(), threading.Lock()
        ready = threading.Event()
        finish = threading.Event()
        other.acquire()  # the main thread holds it (a with block, below)

        def worker() -> None:
            lock.acquire()
            lock.release()
            if other.acquire(timeout=0.01):  # fails: main holds it
                other.release()
            ready.set()
            finish.wait(WAIT)

        t = threading.Thread(target=worker, name="worker")
        other.release()
        with other:
            t.start()
            try:
                self.assertTrue(ready.wait(WAIT))
                lock.acquire()  # by main, at a line the worker's frame has passed
                try:
                    held = {h["lock"]["id"]: h["owner"] for h in locks.snapshot()["held"]}
                finally:
                    lock.release()
            finally:
                finish.set()
                t.join(WAIT)
        me = {"id": threading.get_ident(), "name": threading.current_thread().name}
        self.assertEqual(held[f"{id(other):#x}"], me)
        self.assertEqual(held[f"{id(lock):#x}"], me)

    def test_a_condition_wait_lets_go_of_the_lock(self) -> None:
        cond = threading.Condition(threading.Lock())
        waiting = threading.Event()

        def waiter() -> None:
            with cond:
                waiting.set()
                cond.wait(WAIT)

        t = threading.Thread(target=waiter, name="waiter")
        t.start()
        self.assertTrue(waiting.wait(WAIT))
        with cond:  # taken once the waiter has let go, inside wait()
            held = {h["lock"]["id"]: h["owner"] for h in locks.snapshot()["held"]}
            cond.notify()
        t.join(WAIT)
        self.assertEqual(held[f"{id(cond._lock):#x}"]["name"], threading.current_thread().name)  # type: ignore[attr-defined]

    def test_a_lock_made_before_install_is_shown_where_the_programs_frames_hold_it(self) -> None:
        locks.uninstall()
        try:
            early = threading.Lock()
        finally:
            locks.install()
        with early:
            held = [h for h in locks.snapshot()["held"] if h["lock"]["id"] == f"{id(early):#x}"]
        self.assertEqual(len(held), 1)
        self.assertEqual(held[0]["lock"]["created"], {"file": "<unknown>", "line": 0})
        self.assertEqual(held[0]["owner"]["id"], threading.get_ident())


class WaitingInAWithTest(InstalledTestCase):
    """A thread blocked in a ``with``'s C ``__enter__`` has no wait frame: the snapshot reads its
    innermost frame instead."""

    def test_with_on_an_attribute(self) -> None:
        box = Box()
        got_it = threading.Event()
        release = threading.Event()

        def holder() -> None:
            with box.lock:
                got_it.set()
                release.wait(WAIT)

        def waiter() -> None:
            with box.lock:
                pass

        h = threading.Thread(target=holder, name="holder")
        h.start()
        self.assertTrue(got_it.wait(WAIT))
        w = threading.Thread(target=waiter, name="waiter")
        w.start()
        try:
            entry = _waiting_entry(w.ident or 0)
            self.assertEqual(entry["kind"], "lock")
            self.assertEqual(entry["lock"]["id"], f"{id(box.lock):#x}")
            self.assertEqual(entry["owner"], {"id": h.ident, "name": "holder"})
            self.assertTrue(entry["stack"][0]["function"].endswith("waiter"))
        finally:
            release.set()
            h.join(WAIT)
            w.join(WAIT)

    def test_with_on_a_condition_and_a_cycle_through_it(self) -> None:
        cond = threading.Condition(threading.Lock())
        other = threading.RLock()
        both = threading.Barrier(2)

        def first() -> None:
            cond.acquire()  # the main thread releases it, to end the deadlock
            both.wait(WAIT)
            with other:  # waits for `second`
                pass

        def second() -> None:
            with other:
                both.wait(WAIT)
                with cond:  # Condition.__enter__ waits in cond._lock's C __enter__
                    pass

        t1 = threading.Thread(target=first, name="first", daemon=True)
        t2 = threading.Thread(target=second, name="second", daemon=True)
        t1.start()
        t2.start()
        found = _poll(lambda: locks.find_deadlocks())
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0]["kind"], "lock-order-inversion")
        waits = {t["name"]: t["waiting_for"]["id"] for t in found[0]["threads"]}
        self.assertEqual(waits, {"first": f"{id(other):#x}", "second": f"{id(cond._lock):#x}"})  # type: ignore[attr-defined]
        # End the deadlock the only way a Lock allows: another thread releases it.
        cond._lock.release()  # type: ignore[attr-defined]
        t2.join(WAIT)
        t1.join(WAIT)
        self.assertFalse(t1.is_alive() or t2.is_alive())


def _stolen(fn: Any) -> Any:
    """`fn` for a thread whose deadlock the main thread ends by releasing the thread's Lock (as
    a Lock allows): the thread's own release of it then fails, quietly."""

    def run(*args: Any) -> None:
        try:
            fn(*args)
        except RuntimeError as e:
            if "release unlocked lock" not in str(e):
                raise

    return run


class DeadlockFormsTest(InstalledTestCase):
    """Deadlocks among plain Locks, their holders read from the frames: ``with`` or ``acquire()``."""

    def test_a_with_on_a_self_held_lock_deadlocks_as_without_the_debugger(self) -> None:
        lock = threading.Lock()
        entered = threading.Event()

        def twice() -> None:
            with lock:
                entered.set()
                with lock:  # a plain Lock isn't reentrant: this waits until another thread releases
                    pass

        t = threading.Thread(target=_stolen(twice), name="twice", daemon=True)
        t.start()
        self.assertTrue(entered.wait(WAIT))
        found = _poll(lambda: locks.find_deadlocks())
        self.assertEqual(found[0]["kind"], "double-lock")
        self.assertEqual([th["name"] for th in found[0]["threads"]], ["twice"])
        self.assertTrue(t.is_alive())
        lock.release()  # lets the inner with go on; its exit releases it, the outer exit fails
        t.join(WAIT)
        self.assertFalse(t.is_alive())

    def check_inversion(self, first: Any, second: Any) -> None:
        lock_a, lock_b = threading.Lock(), threading.Lock()
        both = threading.Barrier(2)
        t1 = threading.Thread(target=_stolen(first), args=(lock_a, lock_b, both), name="first", daemon=True)
        t2 = threading.Thread(target=_stolen(second), args=(lock_b, lock_a, both), name="second", daemon=True)
        t1.start()
        t2.start()
        found = _poll(lambda: locks.find_deadlocks())
        self.assertEqual(len(found), 1)
        dl = found[0]
        self.assertEqual(dl["kind"], "lock-order-inversion")
        by_name = {th["name"]: th for th in dl["threads"]}
        self.assertEqual(by_name["first"]["waiting_for"]["id"], f"{id(lock_b):#x}")
        self.assertEqual(by_name["second"]["waiting_for"]["id"], f"{id(lock_a):#x}")
        self.assertEqual([m["id"] for m in by_name["first"]["holding"]], [f"{id(lock_a):#x}"])
        self.assertEqual([m["id"] for m in by_name["second"]["holding"]], [f"{id(lock_b):#x}"])
        # End it the only way a Lock allows: another thread releases one (first's; second goes
        # on, and lets go of both; then first goes on, and its own release of lock_a fails).
        lock_a.release()
        t1.join(WAIT)
        t2.join(WAIT)
        self.assertFalse(t1.is_alive() or t2.is_alive())

    def test_an_inversion_by_acquire(self) -> None:
        def take(mine: Any, theirs: Any, both: threading.Barrier) -> None:
            mine.acquire()
            both.wait(WAIT)
            theirs.acquire()
            theirs.release()
            mine.release()

        self.check_inversion(take, take)

    def test_an_inversion_by_with_and_acquire(self) -> None:
        def by_with(mine: Any, theirs: Any, both: threading.Barrier) -> None:
            with mine:
                both.wait(WAIT)
                with theirs:
                    pass

        def by_acquire(mine: Any, theirs: Any, both: threading.Barrier) -> None:
            mine.acquire()
            try:
                both.wait(WAIT)
                if theirs.acquire(timeout=WAIT):
                    theirs.release()
            finally:
                mine.release()

        self.check_inversion(by_with, by_acquire)


class StillALockTest(InstalledTestCase):
    def test_no_rlock_only_methods_so_condition_treats_it_as_a_lock(self) -> None:
        lock = threading.Lock()
        for name in ("_release_save", "_acquire_restore", "_is_owned", "_recursion_count"):
            self.assertFalse(hasattr(lock, name), name)
        cond = threading.Condition(lock)
        self.assertIs(cond._is_owned.__func__, threading.Condition._is_owned)  # type: ignore[attr-defined]
        with cond:
            self.assertFalse(cond.wait(0.01))
            self.assertTrue(lock.locked())
        self.assertFalse(lock.locked())

    def test_the_holder_asking_again_waits_until_another_thread_releases(self) -> None:
        lock = threading.Lock()
        self.assertTrue(lock.acquire())
        t0 = time.monotonic()
        self.assertFalse(lock.acquire(timeout=0.05))
        self.assertGreaterEqual(time.monotonic() - t0, 0.04)
        results: list[bool] = []
        started = threading.Event()

        def again() -> None:
            lock.release()  # let go of the main thread's hold...
            lock.acquire()
            started.set()
            results.append(lock.acquire(timeout=WAIT))  # ...and wait for our own until main releases it

        t = threading.Thread(target=again, name="again")
        t.start()
        self.assertTrue(started.wait(WAIT))
        _poll(lambda: locks.find_deadlocks())  # a double lock while it waits
        lock.release()
        t.join(WAIT)
        self.assertEqual(results, [True])
        self.assertTrue(lock.locked())  # `again` took it and ended without releasing it
        lock.release()
        self.assertFalse(lock.locked())
        with self.assertRaises(RuntimeError):
            lock.release()


if __name__ == "__main__":
    unittest.main()
