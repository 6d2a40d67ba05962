"""A Semaphore(1) used as a mutex."""
import threading


class Pool:
    used = 0


pool = Pool()
sem = threading.Semaphore(1)


def use():
    for _ in range(5):
        with sem:
            pool.used += 1


ts = [threading.Thread(target=use) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
