"""A multithreaded CPU-bound workload that times itself (for the debugger overhead benchmark)."""
import sys
import threading
import time

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 4
ITERATIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000


def work():
    x = 0
    for i in range(ITERATIONS):
        x += i % 7
    if x < 0:
        print("never")  # BP-NEVER
    return x


start = time.perf_counter()
threads = [threading.Thread(target=work) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"elapsed {time.perf_counter() - start:.4f}")
