"""Three workers pass one line many times at once: after the first stop, the others are
mid-hit, parked in the stop, when the client removes the breakpoint."""
import threading

WORKERS, ROUNDS = 3, 20000
start = threading.Barrier(WORKERS)
totals = [0] * WORKERS


def work(idx):
    start.wait()
    total = 0
    for i in range(ROUNDS):
        total += i  # BP-STALE
    totals[idx] = total


threads = [threading.Thread(target=work, args=(k,), name=f"worker-{k}") for k in range(WORKERS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("stale done", sum(totals))
