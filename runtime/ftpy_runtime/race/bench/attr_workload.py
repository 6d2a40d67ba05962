"""Attribute-heavy workload: each thread updates fields of its own objects through methods.

    python attr_workload.py THREADS ITERATIONS

Prints the seconds the threaded part took.  Threads share nothing, so a perfect run
scales with the thread count; the race detector should report nothing.
"""

import sys
import threading
import time


class Particle:
    def __init__(self, x):
        self.x = x
        self.v = 1.0
        self.hits = 0

    def step(self, dt):
        self.x = self.x + self.v * dt
        if self.x > 100.0:
            self.v = -self.v
            self.hits += 1
        elif self.x < 0.0:
            self.v = -self.v
            self.hits += 1


def work(iterations, out, slot):
    ps = [Particle(i * 3.0) for i in range(8)]
    for _ in range(iterations // 8):
        for p in ps:
            p.step(0.5)
    out[slot] = sum(p.hits for p in ps)


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
