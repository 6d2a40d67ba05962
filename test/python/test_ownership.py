"""Tests for ftpy_runtime.objectmodel.ownership: per-thread object ownership on the real interpreter."""

from __future__ import annotations

import gc
import sys
import threading
import unittest

from ftpy_runtime.objectmodel import headers, ownership

FREE_THREADED = headers.is_free_threaded_build()
NOT_FT_REASON = f"{sys.executable} is not a free-threaded build; set FTPY_TEST_PYTHON to a python3.13t"


class OwnedByWorker:
    """Instances are made only by the worker thread in these tests."""


class MergedLater:
    pass


def _names() -> dict[int, str]:
    return {t.ident: t.name for t in threading.enumerate() if t.ident is not None}


def _entry(snap: dict, ident: int) -> dict:
    for t in snap["threads"]:
        if t["ident"] == ident:
            return t
    raise AssertionError(f"no entry for thread {ident} in {[t['ident'] for t in snap['threads']]}")


@unittest.skipUnless(FREE_THREADED, NOT_FT_REASON)
class OwnershipSnapshotTest(unittest.TestCase):
    def setUp(self) -> None:
        self.made: list[OwnedByWorker] = []
        self.started = threading.Event()
        self.go = threading.Event()
        self.ready = threading.Event()
        self.release = threading.Event()

        def worker() -> None:
            self.started.set()
            self.go.wait(60)
            self.made.extend(OwnedByWorker() for _ in range(500))
            self.ready.set()
            self.release.wait(60)

        # Thread ids are reused: objects that a dead thread of an earlier test left alive
        # (and that another thread references) can carry the ob_tid this worker gets.
        # What the worker itself makes is counted against that baseline.
        gc.collect()
        self.worker = threading.Thread(target=worker, name="ownership-worker")
        self.worker.start()
        self.assertTrue(self.started.wait(60))
        before = [t for t in ownership.snapshot(_names())["threads"] if t["ident"] == self.worker.ident]
        self.shared_before = before[0]["shared"] if before else 0
        self.go.set()
        self.assertTrue(self.ready.wait(60))

    def tearDown(self) -> None:
        self.release.set()
        self.worker.join(60)

    def test_objects_are_counted_for_their_creating_thread(self) -> None:
        snap = ownership.snapshot(_names(), top=50)
        self.assertTrue(snap["free_threaded"])
        entry = _entry(snap, self.worker.ident)
        self.assertEqual(entry["name"], "ownership-worker")
        self.assertTrue(entry["alive"])
        counts = {t["type"]: t["count"] for t in entry["top_types"]}
        label = f"{__name__}.OwnedByWorker"
        self.assertEqual(counts.get(label), 500)
        self.assertGreaterEqual(entry["objects"], 500)
        # None of them is referenced from another thread (the list holding
        # them was made by this thread, but its references were taken by the
        # worker, which owns both): not shared.
        self.assertEqual(entry["shared"] - self.shared_before, 0)
        main = _entry(snap, threading.get_ident())
        self.assertNotIn(label, {t["type"] for t in main["top_types"]})
        self.assertGreater(snap["inspector_refs"], 0)
        self.assertEqual(snap["objects"], sum(t["objects"] for t in snap["threads"]) + snap["unowned"]["objects"])

    def test_references_from_another_thread_make_objects_shared(self) -> None:
        held = self.made[:37]  # this thread takes 37 references
        snap = ownership.snapshot(_names())
        self.assertEqual(_entry(snap, self.worker.ident)["shared"] - self.shared_before, 37)
        del held

    def test_top_limits_type_rows(self) -> None:
        snap = ownership.snapshot(_names(), top=1)
        for t in snap["threads"]:
            self.assertLessEqual(len(t["top_types"]), 1)
        self.assertEqual(_entry(snap, self.worker.ident)["top_types"][0]["type"], f"{__name__}.OwnedByWorker")

    def test_unowned_totals(self) -> None:
        box: dict[str, object] = {}
        ready = threading.Event()
        drop = threading.Event()

        def owner() -> None:
            box["x"] = MergedLater()
            ready.set()
            drop.wait(60)
            del box["x"]  # owner's last reference: counts merge, ob_tid becomes 0

        t = threading.Thread(target=owner)
        t.start()
        self.assertTrue(ready.wait(60))
        x = box["x"]
        drop.set()
        t.join(60)
        self.assertEqual(headers.read(x).ob_tid, 0)
        snap = ownership.snapshot(_names(), top=1000)
        unowned = snap["unowned"]
        self.assertEqual(unowned["objects"], unowned["immortal"] + unowned["merged"])
        self.assertGreaterEqual(unowned["merged"], 1)
        self.assertIn(f"{__name__}.MergedLater", {t["type"] for t in unowned["top_types"]})
        del x

    def test_exited_thread_is_reported_as_not_alive(self) -> None:
        kept: list[OwnedByWorker] = []

        def short_lived() -> None:
            kept.extend(OwnedByWorker() for _ in range(20))

        t = threading.Thread(target=short_lived)
        t.start()
        t.join(60)
        snap = ownership.snapshot(_names())
        entry = _entry(snap, t.ident)  # its objects keep the old ob_tid
        self.assertFalse(entry["alive"])
        counts = {row["type"]: row["count"] for row in entry["top_types"]}
        self.assertEqual(counts.get(f"{__name__}.OwnedByWorker"), 20)
        del kept


if __name__ == "__main__":
    unittest.main()
