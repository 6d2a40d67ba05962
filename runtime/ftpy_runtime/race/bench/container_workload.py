"""Container-heavy workload: each thread fills, reads and iterates its own list and dict.

    python container_workload.py THREADS ITERATIONS

Prints the seconds the threaded part took.
"""

import sys
import threading
import time


def work(iterations, out, slot):
    counts = {}
    log = []
    for i in range(iterations):
        key = i % 64
        counts[key] = counts.get(key, 0) + 1
        log.append(i)
        if len(log) >= 256:
            total = 0
            for v in log:
                total += v
            log.clear()
    out[slot] = sum(counts.values())


def main():
    threads = int(sys.argv[1])
    iterations = int(sys.argv[2])
    out = [0] * threads
    ts = [threading.Thread(target=work, args=(iterations, out, i)) for i in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(f"{time.perf_counter() - t0:.4f}")


main()
