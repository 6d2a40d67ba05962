"""`global total; total += n` from two threads."""
import threading

total = 0


def add(n):
    global total
    for _ in range(10):
        total += n  # RACE


ts = [threading.Thread(target=add, args=(i,)) for i in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
