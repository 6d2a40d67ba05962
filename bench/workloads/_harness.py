"""Shared driver for the benchmark workloads: split a fixed amount of work over N threads,
time only the parallel section, and print one machine-readable line.

    python3.13t <workload>.py --threads N [--scale S]

prints `FTPY_BENCH {"seconds": …, "threads": N, "maxrss_kb": …, "check": …}` on stdout.
The total work is the same whatever N is, so time(1 thread) / time(N threads) is the speedup.
"""
from __future__ import annotations

import argparse
import json
import resource
import threading
import time
from typing import Callable


def run(work: Callable[[int, int], int], units: int) -> None:
    """`work(first, count)` does `count` units starting at `first` and returns a checksum."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    total = max(args.threads, int(units * args.scale))
    per = total // args.threads
    results = [0] * args.threads

    def body(k: int) -> None:
        first = k * per
        count = total - first if k == args.threads - 1 else per
        results[k] = work(first, count)

    threads = [threading.Thread(target=body, args=(k,), name=f"bench-{k}") for k in range(args.threads)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("FTPY_BENCH " + json.dumps({"seconds": seconds, "threads": args.threads, "maxrss_kb": rss, "check": sum(results) % 1_000_003}), flush=True)
