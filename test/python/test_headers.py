"""Tests for ftpy_runtime.objectmodel.headers: decoding tables, and live objects on the real interpreter."""

from __future__ import annotations

import gc
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import threading
import unittest
import weakref

from ftpy_runtime.objectmodel import headers

FREE_THREADED = headers.is_free_threaded_build()
NOT_FT_REASON = f"{sys.executable} is not a free-threaded build; set FTPY_TEST_PYTHON to a python3.13t"
RUNTIME_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "runtime")


def header_bytes(
    tid: int = 0,
    flags: int = 0,
    mutex: int = 0,
    gc_bits: int = 0,
    local: int = 0,
    shared: int = 0,
    type_addr: int = 0x5555_0000_1234,
) -> bytes:
    """32 header bytes as CPython lays them out (native byte order)."""
    return struct.pack("=QHBBIqQ", tid, flags, mutex, gc_bits, local, shared, type_addr)


class DecodeTest(unittest.TestCase):
    """The layout tables, on synthetic header bytes (3.14 can't run here)."""

    def test_fields_at_their_offsets_313(self) -> None:
        raw = header_bytes(tid=0x7F00_1234_5678, flags=0xBEEF, mutex=1, gc_bits=0x11, local=3, shared=(2 << 2) | 1)
        info = headers.decode(raw, (3, 13))
        self.assertEqual(info.ob_tid, 0x7F00_1234_5678)
        self.assertIsNone(info.ob_flags, "3.13 has padding at offset 8, not ob_flags")
        self.assertEqual(info.ob_mutex, 1)
        self.assertEqual(info.mutex_state, "locked")
        self.assertEqual(info.gc_bits_names, ("tracked", "shared"))
        self.assertEqual(info.ob_ref_local, 3)
        self.assertEqual(info.shared_count, 2)
        self.assertEqual(info.shared_flag_name, "maybe-weakref")
        self.assertEqual(info.refcount, 5)
        self.assertFalse(info.immortal)
        self.assertEqual(info.type_address, 0x5555_0000_1234)
        self.assertEqual(info.raw, raw)
        self.assertEqual(info.version, (3, 13))

    def test_gc_bit_five_differs_between_313_and_314(self) -> None:
        raw = header_bytes(gc_bits=0b0110_0001, local=1)
        self.assertEqual(headers.decode(raw, (3, 13)).gc_bits_names, ("tracked", "shared-inline", "deferred"))
        self.assertEqual(headers.decode(raw, (3, 14)).gc_bits_names, ("tracked", "alive", "deferred"))

    def test_every_gc_bit_314(self) -> None:
        info = headers.decode(header_bytes(gc_bits=0xFF, local=1), (3, 14))
        self.assertEqual(
            info.gc_bits_names,
            ("tracked", "finalized", "unreachable", "frozen", "shared", "alive", "deferred", "bit7"),
        )
        self.assertTrue(info.deferred)

    def test_ob_flags_314(self) -> None:
        info = headers.decode(header_bytes(flags=0b0101, local=0xFFFF_FFFF), (3, 14))
        self.assertEqual(info.ob_flags, 5)
        self.assertEqual(info.ob_flags_names, ("immortal", "statically-allocated"))
        info = headers.decode(header_bytes(flags=0b1000 | 0x100, local=1), (3, 14))
        self.assertEqual(info.ob_flags_names, ("type-revealed", "bit8"))
        info = headers.decode(header_bytes(flags=0, local=1), (3, 14))
        self.assertEqual(info.ob_flags, 0)
        self.assertEqual(info.ob_flags_names, ())

    def test_shared_flag_names(self) -> None:
        names = [headers.decode(header_bytes(local=1, shared=(7 << 2) | f), (3, 14)).shared_flag_name for f in range(4)]
        self.assertEqual(names, ["none", "maybe-weakref", "queued", "merged"])

    def test_negative_shared_count_is_an_arithmetic_shift(self) -> None:
        # Other threads may have dropped more references than they took.
        info = headers.decode(header_bytes(tid=99, local=5, shared=(-3 << 2) | 2), (3, 13))
        self.assertEqual(info.shared_count, -3)
        self.assertEqual(info.shared_flag_name, "queued")
        self.assertEqual(info.refcount, 2)

    def test_immortal_refcount_per_version(self) -> None:
        raw = header_bytes(local=0xFFFF_FFFF, gc_bits=0)
        i13 = headers.decode(raw, (3, 13))
        i14 = headers.decode(raw, (3, 14))
        self.assertTrue(i13.immortal and i14.immortal)
        self.assertEqual(i13.refcount, 0xFFFF_FFFF)  # _Py_IMMORTAL_REFCNT
        self.assertEqual(i14.refcount, 3 << 30)  # _Py_IMMORTAL_INITIAL_REFCNT

    def test_merged_object(self) -> None:
        info = headers.decode(header_bytes(tid=0, local=0, shared=(4 << 2) | 3), (3, 14))
        self.assertEqual(info.ob_tid, 0)
        self.assertEqual(info.shared_flag_name, "merged")
        self.assertEqual(info.refcount, 4)
        self.assertFalse(info.immortal)

    def test_mutex_states(self) -> None:
        states = [headers.decode(header_bytes(mutex=m, local=1), (3, 14)).mutex_state for m in range(4)]
        self.assertEqual(
            states, ["unlocked", "locked", "unlocked, parked waiters being woken", "locked, with parked waiters"]
        )

    def test_versions(self) -> None:
        self.assertEqual(headers.decode(header_bytes(local=1), (3, 15)).version, (3, 14))
        with self.assertRaisesRegex(ValueError, "3.12 has no free-threaded build"):
            headers.decode(header_bytes(), (3, 12))
        with self.assertRaisesRegex(ValueError, "32 bytes; got 8"):
            headers.decode(b"\0" * 8, (3, 13))


def _in_thread(fn, name: str = "T"):
    """Run fn in a new thread and return (thread, result)."""
    out = {}

    def run() -> None:
        out["result"] = fn()

    t = threading.Thread(target=run, name=name)
    t.start()
    t.join(60)
    if t.is_alive():
        raise AssertionError(f"thread {name} did not finish")
    return t, out.get("result")


class Obj:
    pass


@unittest.skipUnless(FREE_THREADED, NOT_FT_REASON)
class LiveHeaderTest(unittest.TestCase):
    """Headers of live objects, under the real free-threaded interpreter."""

    def test_inspector_refs_are_measured_and_subtracted(self) -> None:
        x = Obj()  # one reference: this local
        info = headers.read(x)
        self.assertEqual(info.ob_tid, threading.get_ident())
        self.assertEqual(info.inspector_refs_field, "ob_ref_local")
        self.assertGreater(info.inspector_refs, 0)
        self.assertEqual(info.refcount_without_inspector, 1)
        y = x  # noqa: F841 - a second reference
        self.assertEqual(headers.read(x).refcount_without_inspector, 2)
        self.assertEqual(headers.read(x).local_without_inspector, 2)
        self.assertEqual(headers.inspector_refs(), info.inspector_refs)

    def test_object_owned_by_creating_thread_and_not_shared(self) -> None:
        box: dict[str, object] = {}
        release = threading.Event()
        seen = {}

        def owner() -> None:
            x = Obj()
            seen["in_owner"] = headers.read(x)
            box["x"] = x
            release.wait(60)

        t = threading.Thread(target=owner, name="creator")
        t.start()
        try:
            deadline = threading.Event()
            for _ in range(600):
                if "x" in box:
                    break
                deadline.wait(0.1)
            info = seen["in_owner"]
            self.assertEqual(info.ob_tid, t.ident)
            self.assertEqual(info.shared_count, 0, "read on the owning thread: nothing in ob_ref_shared")
            self.assertEqual(info.inspector_refs_field, "ob_ref_local")
            self.assertEqual(info.refcount_without_inspector, 1)
            rows = dict(headers.describe(box["x"], {t.ident: "creator"}))
            self.assertEqual(rows["owner thread (ob_tid)"], f"creator (ident {t.ident})")
        finally:
            release.set()
            t.join(60)

    def test_other_thread_taking_references_makes_the_shared_count_positive(self) -> None:
        box: dict[str, object] = {}
        ready = threading.Event()
        release = threading.Event()

        def owner() -> None:
            box["x"] = Obj()
            ready.set()
            release.wait(60)

        t = threading.Thread(target=owner, name="owner")
        t.start()
        try:
            self.assertTrue(ready.wait(60))
            # This thread (not the owner) reads it: the inspector's references
            # land in ob_ref_shared, and we take them off again.
            before = headers.read(box["x"])
            self.assertEqual(before.ob_tid, t.ident)
            self.assertEqual(before.inspector_refs_field, "ob_ref_shared")
            self.assertEqual(before.shared_without_inspector, 0)
            self.assertEqual(before.local_without_inspector, 1)  # the dict's reference, taken by the owner

            held = [box["x"], box["x"], box["x"]]  # three references taken by this thread
            info = headers.read(held[0])
            self.assertEqual(info.ob_tid, t.ident, "taking references does not change the owner")
            self.assertEqual(info.shared_without_inspector, 3)
            self.assertEqual(info.ob_ref_local, 1)
            if sys.version_info[:2] == (3, 13):
                # 3.13 fetches an object out of a dict that another thread owns
                # with _Py_NewRefWithLock, which sets _Py_REF_MAYBE_WEAKREF.
                self.assertEqual(info.shared_flag_name, "maybe-weakref")
            else:
                self.assertIn(info.shared_flag_name, ("none", "maybe-weakref"))
            self.assertEqual(info.shared_flag_name, ["none", "maybe-weakref", "queued", "merged"][info.ob_ref_shared & 3])
            rows = dict(headers.describe(held[0], {t.ident: "owner"}))
            self.assertTrue(
                rows["ob_ref_shared"].startswith(
                    f"{info.shared_count}, flags {info.shared_flags:02b} {info.shared_flag_name}"
                )
            )
        finally:
            release.set()
            t.join(60)

    def test_weakref_sets_maybe_weakref(self) -> None:
        x = Obj()
        self.assertEqual(headers.read(x).shared_flag_name, "none")
        r = weakref.ref(x)
        self.assertEqual(headers.read(x).shared_flag_name, "maybe-weakref")
        del r

    def test_queued_when_a_non_owner_drops_the_last_shared_reference(self) -> None:
        box: dict[str, object] = {}
        ready = threading.Event()
        release = threading.Event()

        def owner() -> None:
            x = Obj()
            box["x"] = x
            box["list"] = [x]  # a reference the owner took (local count)
            ready.set()
            release.wait(60)  # blocked: it won't merge its queue meanwhile

        t = threading.Thread(target=owner, name="owner")
        t.start()
        # A collection merges every queued object (Python/brc.c), so keep the
        # GC out of the window between queueing and reading.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self.assertTrue(ready.wait(60))
            x = box["x"]
            taken = box["list"].pop()  # the list's reference moves to this thread
            # Shared count is 1 (x) with no references dropped yet; drop x,
            # then the popped one: the second decref finds the shared count
            # at zero and queues the object for its owner to merge.
            del x
            del taken
            info = headers.read(box["x"])
            self.assertEqual(info.ob_tid, t.ident)
            self.assertEqual(info.shared_flag_name, "queued")
            self.assertEqual(info.shared_without_inspector, 0)
        finally:
            if gc_was_enabled:
                gc.enable()
            release.set()
            t.join(60)

    def test_merged_when_the_owner_drops_its_references(self) -> None:
        box: dict[str, object] = {}
        ready = threading.Event()
        drop = threading.Event()

        def owner() -> None:
            box["x"] = Obj()
            ready.set()
            drop.wait(60)
            del box["x"]  # the owner's last reference: local count hits zero

        t = threading.Thread(target=owner, name="owner")
        t.start()
        self.assertTrue(ready.wait(60))
        x = box["x"]
        drop.set()
        t.join(60)
        info = headers.read(x)
        self.assertEqual(info.ob_tid, 0)
        self.assertEqual(info.ob_ref_local, 0)
        self.assertEqual(info.shared_flag_name, "merged")
        self.assertEqual(info.refcount_without_inspector, 1)
        rows = dict(headers.describe(x, {}))
        self.assertEqual(rows["owner thread (ob_tid)"], "none (immortal/merged)")

    def test_immortal_objects(self) -> None:
        interned = sys.intern("ftpy_interned_" + str(os.getpid()))
        for obj in (None, True, 0, 7, 256, (), "append", interned):
            with self.subTest(obj=obj):
                info = headers.read(obj)
                self.assertTrue(info.immortal)
                self.assertEqual(info.ob_tid, 0)
                self.assertEqual(info.ob_ref_local, 0xFFFF_FFFF)
                self.assertEqual(info.inspector_refs, 0)
                self.assertEqual(info.refcount, sys.getrefcount(obj))
        rows = dict(headers.describe(None, {}))
        self.assertEqual(rows["immortal"], "yes")
        self.assertEqual(rows["owner thread (ob_tid)"], "none (immortal/merged)")

    def test_mortal_object_is_not_immortal(self) -> None:
        info = headers.read(Obj())
        self.assertFalse(info.immortal)
        self.assertEqual(info.refcount, info.ob_ref_local + info.shared_count)

    def test_refcount_matches_sys_getrefcount(self) -> None:
        x = [1, 2, 3]
        y = [x, x]  # noqa: F841
        # sys.getrefcount counts its own argument: one more than x's references.
        self.assertEqual(headers.read(x).refcount_without_inspector, sys.getrefcount(x) - 1)

    def test_describe_rows(self) -> None:
        x = Obj()
        rows = headers.describe(x, {threading.get_ident(): "MainThread"})
        labels = [label for label, _ in rows]
        expected = [
            "owner thread (ob_tid)",
            "ob_ref_local",
            "ob_ref_shared",
            "refcount",
            "immortal",
            "ob_mutex",
            "ob_gc_bits",
        ]
        if sys.version_info >= (3, 14):
            expected.append("ob_flags")
        expected += ["header bytes", "note"]
        self.assertEqual(labels, expected)
        values = dict(rows)
        info = headers.read(x)
        self.assertEqual(values["owner thread (ob_tid)"], f"MainThread (ident {threading.get_ident()})")
        self.assertEqual(values["immortal"], "no")
        self.assertEqual(values["ob_mutex"], "unlocked (0x00)")
        self.assertIn("tracked", values["ob_gc_bits"])
        raw = bytes.fromhex(values["header bytes"].replace(" ", ""))
        self.assertEqual(len(raw), 32)
        self.assertEqual(raw[:8], info.raw[:8])  # ob_tid; the counts may differ by a read
        self.assertIn(f"{info.inspector_refs} of these", values["note"])
        self.assertIn("measured", values["note"])
        self.assertIn("without them: 1", values["note"])
        held = dict(headers.describe(x, {}, held_by_caller=1))["note"]
        self.assertIn("program's own references are 0", held)

    def test_as_json(self) -> None:
        x = Obj()
        info = headers.read(x)
        data = json.loads(json.dumps(info.as_json()))
        self.assertEqual(bytes.fromhex(data["raw"]), info.raw)
        self.assertEqual(data["ob_tid"], threading.get_ident())
        self.assertEqual(data["gc_bits_names"], list(info.gc_bits_names))
        self.assertEqual(data["refcount_without_inspector"], 1)
        self.assertEqual(data["inspector_refs"], info.inspector_refs)

    def test_unknown_owner(self) -> None:
        x = Obj()
        rows = dict(headers.describe(x, {}))
        self.assertIn("not a live Python thread", rows["owner thread (ob_tid)"])


def _gil_pythons() -> list[str]:
    """GIL builds >= 3.12 on this machine, to check the graceful fallback."""
    found = []
    for name in ("python3.14", "python3.13", "python3.12"):
        path = shutil.which(name)
        if path:
            found.append(path)
    found += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python3")))
    good = []
    for path in found:
        try:
            out = subprocess.run(
                [path, "-c", "import sys, sysconfig; print(sys.version_info >= (3, 12) and not sysconfig.get_config_var('Py_GIL_DISABLED'))"],
                capture_output=True, text=True, timeout=30,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out == "True":
            good.append(path)
    return good


class GilBuildTest(unittest.TestCase):
    """On a GIL build the header API answers plainly instead of failing."""

    def test_gil_build_fallback(self) -> None:
        pythons = _gil_pythons()
        if not pythons:
            self.skipTest("no GIL-build Python >= 3.12 found on PATH or in ~/.pyenv")
        program = textwrap.dedent(
            """
            import json, threading
            from ftpy_runtime.objectmodel import headers, ownership, gil
            x = object()
            y = x
            info = headers.read(x)
            print(json.dumps({
                "rows": headers.describe(x, {}),
                "free_threaded": info.free_threaded,
                "refcount": info.refcount,
                "without": info.refcount_without_inspector,
                "inspector": info.inspector_refs,
                "ownership": ownership.snapshot({}),
                "gil": gil.state(),
            }))
            """
        )
        env = dict(os.environ, PYTHONPATH=RUNTIME_DIR)
        r = subprocess.run([pythons[0], "-c", program], capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertFalse(out["free_threaded"])
        self.assertEqual(out["rows"][0][0], "build")
        self.assertIn("not a free-threaded build", out["rows"][0][1])
        self.assertEqual(out["rows"][1][0], "refcount")
        self.assertEqual(int(out["rows"][1][1].split()[0]), out["refcount"])
        self.assertEqual(out["without"], 2)  # x and y
        self.assertIn("without them: 2", out["rows"][2][1])
        self.assertFalse(out["ownership"]["free_threaded"])
        self.assertFalse(out["gil"]["free_threaded_build"])
        self.assertTrue(out["gil"]["enabled"])


if __name__ == "__main__":
    unittest.main()
