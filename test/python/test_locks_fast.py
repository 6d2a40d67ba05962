"""Tracked locks at a plain lock's speed: a ``with`` block runs no Python code, yet the snapshot
still names every holder (from the C lock's own record) and sees threads blocked in a ``with``
(from their innermost frame), and a tracked ``Lock`` still behaves as a ``Lock``."""

from __future__ import annotations

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
        self.assertIsInstance(lock, locks.TrackedLock)
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

    def test_the_holder_is_exact_for_with_and_for_acquire_in_another_function(self) -> None:
        by_with, by_acquire = threading.Lock(), threading.Lock()
        rlock = threading.RLock()
        ready = threading.Event()
        finish = threading.Event()

        def take() -> None:
            by_acquire.acquire()  # released by the main thread, as a Lock allows

        def holder() -> None:
            take()
            with by_with, rlock, rlock:
                ready.set()
                finish.wait(WAIT)

        t = threading.Thread(target=holder, name="holder")
        t.start()
        try:
            self.assertTrue(ready.wait(WAIT))
            held = {h["lock"]["id"]: h for h in locks.snapshot()["held"]}
            for lock, count in ((by_with, 1), (by_acquire, 1), (rlock, 2)):
                entry = held[f"{id(lock):#x}"]
                self.assertEqual(entry["owner"], {"id": t.ident, "name": "holder"})
                self.assertEqual(entry["count"], count)
        finally:
            finish.set()
            t.join(WAIT)
        by_acquire.release()
        self.assertFalse(by_acquire.locked())


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
        self.assertEqual(lock._owner, t.ident)  # pyright: ignore[reportPrivateUsage]
        lock.release()
        self.assertFalse(lock.locked())
        with self.assertRaises(RuntimeError):
            lock.release()


if __name__ == "__main__":
    unittest.main()
