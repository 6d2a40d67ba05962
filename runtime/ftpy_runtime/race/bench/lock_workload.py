"""Synchronisation-heavy workload: a lock taken around every update (the detector's worst case).

    python lock_workload.py THREADS ITERATIONS

Each thread has its own lock and counter, so threads share nothing; every iteration is a
release/acquire pair, i.e. a new epoch, so no access is a repeat of an earlier one.
Prints the seconds the threaded part took.
"""

import sys
import threading
import time


class Counter:
    def __init__(self):
        self.value = 0
        self.lock = threading.Lock()

    def bump(self):
        with self.lock:
            self.value += 1


def work(iterations):
    c = Counter()
    for _ in range(iterations):
        c.bump()


def main():
    threads = int(sys.argv[1])
    iterations = int(sys.argv[2]) // 4
    ts = [threading.Thread(target=work, args=(iterations,)) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(f"{time.perf_counter() - t0:.4f}")


main()
