"""How long does ownership.snapshot take on a heap of about a million objects?

Run it under the free-threaded interpreter, from the repository root::

    PYTHONPATH=runtime python3.13t bench/bench_ownership.py [--objects N] [--threads K]

K threads each create N/K GC-tracked objects (instances of a small class,
each holding a list, so two tracked objects per item) and keep them; a tenth
of each thread's objects is also referenced from the main thread, so they
count as shared.  The script then times `gc.get_objects()` alone and
`ownership.snapshot()` (which includes it), best and median of a few runs.
It prints numbers; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import threading
import time

from ftpy_runtime.objectmodel import headers, ownership


class Item:
    __slots__ = ("payload",)

    def __init__(self) -> None:
        self.payload: list[int] = []


def build_heap(total: int, nthreads: int) -> tuple[list[list[Item]], list[Item], list[threading.Thread], threading.Event]:
    per_thread = total // (2 * nthreads)  # two tracked objects per Item
    kept: list[list[Item]] = [[] for _ in range(nthreads)]
    ready = threading.Barrier(nthreads + 1)
    done = threading.Event()

    def worker(slot: list[Item]) -> None:
        slot.extend(Item() for _ in range(per_thread))
        ready.wait()
        done.wait()

    threads = [threading.Thread(target=worker, args=(kept[i],), name=f"builder-{i}") for i in range(nthreads)]
    for t in threads:
        t.start()
    ready.wait()
    shared = [item for slot in kept for item in slot[: len(slot) // 10]]
    return kept, shared, threads, done


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not headers.is_free_threaded_build():
        sys.exit(f"{sys.executable} is not a free-threaded build; run this under python3.13t.")

    gc.disable()  # keep collections out of the timings
    kept, shared, threads, done = build_heap(args.objects, args.threads)
    names = {t.ident: t.name for t in threading.enumerate() if t.ident}
    live = len(gc.get_objects())

    get_objects = timed(gc.get_objects, args.runs)
    snaps = []

    def one() -> None:
        snaps.append(ownership.snapshot(names))

    snapshot = timed(one, args.runs)
    snap = snaps[-1]
    print(f"python {sys.version.split()[0]} ({sys.executable}), {args.threads} builder threads")
    print(f"live GC-tracked objects: {live:,}")
    print(f"gc.get_objects():     best {min(get_objects):.3f}s  median {statistics.median(get_objects):.3f}s")
    print(f"ownership.snapshot(): best {min(snapshot):.3f}s  median {statistics.median(snapshot):.3f}s")
    print(f"inspector refs per object during the scan: {snap['inspector_refs']}")
    for t in snap["threads"][: args.threads + 1]:
        print(f"  {t['name']:<12} owns {t['objects']:>9,}  shared {t['shared']:>8,}  top {t['top_types'][:2]}")
    print(f"  unowned      {snap['unowned']['objects']:>9,}  (immortal {snap['unowned']['immortal']:,})")
    done.set()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
