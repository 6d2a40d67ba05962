"""The worker writes the field under the lock, then again after releasing it (a merged epoch
must not hide the second write); the main thread then takes the lock and writes it."""
import threading
import time


class Stats:
    x = 0
    n = 0


stats = Stats()
lock = threading.Lock()


def worker():
    for _ in range(50):      # the worker re-acquires its own lock: one merged epoch
        with lock:
            stats.n += 1
    with lock:
        stats.x = 1
    stats.x = 2  # RACE
    time.sleep(0.3)
    with lock:               # the main thread held the lock in between: no merge
        stats.n += 1


t = threading.Thread(target=worker)
t.start()
time.sleep(0.1)
with lock:
    stats.x = 3  # RACE
t.join()
