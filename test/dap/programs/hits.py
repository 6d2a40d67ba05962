"""16 threads each pass one line 50 times: 800 hits of the same breakpoint."""
import threading

THREADS, ROUNDS = 16, 50
start = threading.Barrier(THREADS)
totals = [0] * THREADS


def work(idx):
    start.wait()
    total = 0
    for i in range(ROUNDS):
        total += i  # BP-HIT
    totals[idx] = total


threads = [threading.Thread(target=work, args=(k,), name=f"hitter-{k}") for k in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("sum", sum(totals))
