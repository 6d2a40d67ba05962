"""Data-breakpoint costs: what a watched place costs a program, for `npm run bench`.

    python databp.py MODE THREADS SCALE

The bench stops at the line marked BREAKPOINT, sets a data breakpoint from the Variables pane on
`watched.value` (a module global's attribute), and lets the timed part run:

    unrelated  the particle simulation, which never stores an attribute named `value`: the
               watched field is not touched (the idle-overhead target applies)
    samename   the same simulation storing `p.value` on its own particles (never the watched
               object): each such store is a store site
    hot        every thread writes the watched field itself in a loop (`watched.value = i`); the
               breakpoint's hit condition never holds, so it never stops: the cost of a watched write

prints `FTPY_BENCH {"seconds": …, "writes": …}`.
"""
import json
import sys
import threading
import time


class Box:
    def __init__(self) -> None:
        self.value = 0


watched = Box()


class Particle:
    def __init__(self, i: int) -> None:
        self.x = float(i % 97)
        self.vx = 1.0 + (i % 7) * 0.25
        self.value = 0

    def step(self) -> None:
        self.x += self.vx
        if self.x < 0 or self.x > 100:
            self.vx = -self.vx


class Tagged(Particle):
    def step(self) -> None:
        self.x += self.vx
        self.value = self.x  # a store of the watched name, on another object
        if self.x < 0 or self.x > 100:
            self.vx = -self.vx


def simulate(cls: type, steps: int) -> int:
    particles = [cls(i) for i in range(100)]
    for _ in range(steps):
        for p in particles:
            p.step()
    return steps * len(particles)


def hot(steps: int) -> int:
    w = watched
    for i in range(steps * 100):
        w.value = i
    return steps * 100


def main() -> None:
    mode, threads, scale = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    steps = int(2000 * scale) // threads
    work = {"unrelated": lambda: simulate(Particle, steps), "samename": lambda: simulate(Tagged, steps), "hot": lambda: hot(steps)}[mode]
    done = [0] * threads

    def body(k: int) -> None:
        done[k] = work()

    workers = [threading.Thread(target=body, args=(k,), name=f"bench-{k}") for k in range(threads)]
    ready = watched  # BREAKPOINT
    t0 = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    seconds = time.perf_counter() - t0
    print("FTPY_BENCH " + json.dumps({"seconds": seconds, "threads": threads, "writes": sum(done), "ready": ready is watched}), flush=True)


if __name__ == "__main__":
    main()
