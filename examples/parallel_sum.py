"""Sum of squares split across threads: with the GIL off, the threads really run in parallel.

    python3.13t examples/parallel_sum.py [THREADS]

Runs the same total work once on one thread and once on THREADS threads (default: the number
of CPUs) and prints the wall time of each and the speedup. On a free-threaded build with the GIL
off the speedup approaches the number of cores; with PYTHON_GIL=1 it stays near 1.
"""
import os
import sys
import threading
import time


def sum_squares(start: int, stop: int, out: list, slot: int) -> None:
    total = 0
    for i in range(start, stop):
        total += i * i
    out[slot] = total


def run(threads: int, n: int) -> tuple[float, int]:
    results = [0] * threads
    step = n // threads
    workers = [
        threading.Thread(target=sum_squares, args=(k * step, n if k == threads - 1 else (k + 1) * step, results, k),
                         name=f"worker-{k}")
        for k in range(threads)
    ]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - t0, sum(results)


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else (os.cpu_count() or 2)
    n = 4_000_000 * threads
    gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
    print(f"Python {sys.version.split()[0]}, GIL {'on' if gil else 'off'}, {threads} threads, {os.cpu_count()} CPUs")
    one, a = run(1, n)
    many, b = run(threads, n)
    assert a == b, "threads disagree with the single-threaded sum"
    print(f"  1 thread : {one:6.2f} s")
    print(f"  {threads} threads: {many:6.2f} s   speedup {one / many:4.2f}x")


if __name__ == "__main__":
    main()
