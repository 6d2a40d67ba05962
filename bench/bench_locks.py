"""What does a tracked lock cost compared with a plain one?

Run it under the free-threaded interpreter, from the repository root::

    PYTHONPATH=runtime python3.13t bench/bench_locks.py [--pairs N]

Times N ``with lock: pass`` blocks per thread, at 1, 2 and 4 threads, each
thread with its own lock (the uncontended case) and all threads on one lock
(contended), for plain ``_thread`` locks and for ftpy's tracked ones; and the
cost of making a lock.  A tracked ``Lock`` is the plain C lock (only its creation
site is noted), so its rows show the machine's noise; a tracked ``RLock`` is a
subclass of the C RLock with the C ``with``.  Best of three runs.  It prints
numbers and asserts nothing.
"""

from __future__ import annotations

import _thread
import argparse
import sys
import threading
import time
from typing import Any, Callable

from ftpy_runtime.objectmodel import locks


def run(make: Callable[[], Any], nthreads: int, shared: bool, pairs: int) -> float:
    common = make()
    start = threading.Barrier(nthreads + 1)

    def work() -> None:
        lock = common if shared else make()
        start.wait()
        for _ in range(pairs):
            with lock:
                pass

    threads = [threading.Thread(target=work) for _ in range(nthreads)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def best(fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(3))


def creation(make: Callable[[], Any], n: int = 100_000) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        make()
    return (time.perf_counter() - t0) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200_000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} ({sys.executable}), {args.pairs:,} acquire/release pairs per thread")
    kinds = [
        ("Lock", _thread.allocate_lock, locks.TrackedLock),
        ("RLock", _thread.RLock, locks.TrackedRLock),
    ]
    for name, plain, tracked in kinds:
        for shared in (False, True):
            for n in (1, 2, 4):
                p = best(lambda: run(plain, n, shared, args.pairs))
                t = best(lambda: run(tracked, n, shared, args.pairs))
                per = (t - p) / args.pairs * 1e9  # wall time: the threads run at once
                label = "one shared lock" if shared else "a lock per thread"
                print(f"{name:<5} {n} thread(s), {label:<17}: plain {p:.3f}s  tracked {t:.3f}s  ({t / p:.1f}x, +{per:.0f} ns per pair per thread)")
        print(f"{name:<5} creation: plain {creation(plain) * 1e9:.0f} ns  tracked {creation(tracked) * 1e9:.0f} ns")


if __name__ == "__main__":
    main()
