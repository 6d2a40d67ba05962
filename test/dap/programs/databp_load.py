"""Data breakpoints under load (argv[1] picks the watched place, argv[2] the writes per loop).

hot     'hot-0' writes box.value N times (0 … N-1) while 'noise-1'…'noise-3' run the same loop
        on boxes of their own: every thread goes through the watched store site all the time,
        only hot-0's writes change the watched place.
slot    a __slots__ attribute written N times, deleted, then set to -1.
subdict an entry of a dict subclass with __missing__ written N times, deleted, then set to -1;
        the debugger must never call __missing__ (the program prints how often it ran).
"""

import sys
import threading

MODE = sys.argv[1] if len(sys.argv) > 1 else "hot"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20000


class Box:
    def __init__(self) -> None:
        self.value = 0


class Slotted:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class Counting(dict[str, int]):
    missing_calls = 0

    def __missing__(self, key: str) -> int:
        Counting.missing_calls += 1
        return 0


box = Box()
slotted = Slotted()
table = Counting(hits=0)


def spin(target: Box, n: int) -> None:
    for i in range(n):
        target.value = i  # WRITE-hot


def churn() -> None:
    if MODE == "slot":
        for i in range(N):
            slotted.value = i  # WRITE-slot
        del slotted.value  # DEL-slot
        slotted.value = -1  # SET-slot
    else:
        for i in range(N):
            table["hits"] = i  # WRITE-sub
        del table["hits"]  # DEL-sub
        table["hits"] = -1  # SET-sub


def main() -> None:
    ready = 0  # BP-READY
    if MODE == "hot":
        workers = [threading.Thread(target=spin, args=(box, N), name="hot-0")]
        workers += [threading.Thread(target=spin, args=(Box(), N), name=f"noise-{k}") for k in range(1, 4)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
    else:
        churn()
    print("done", ready, box.value, Counting.missing_calls)


main()
