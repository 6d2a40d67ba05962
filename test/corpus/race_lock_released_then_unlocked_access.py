"""The worker writes the field under the lock, then, at the same line, after releasing it (an
access already logged in the epoch must be logged again after the release); the main
thread then takes the lock and writes it."""
import threading
import time


class Stats:
    x = 0
    n = 0


stats = Stats()
lock = threading.Lock()


def put(value):
    stats.x = value  # RACE


def worker():
    for _ in range(50):      # the worker re-acquires its own lock: one merged epoch
        with lock:
            stats.n += 1
    with lock:
        put(1)
    put(2)                   # after the release
    time.sleep(0.3)
    with lock:               # the main thread held the lock in between: no merge
        stats.n += 1


t = threading.Thread(target=worker)
t.start()
time.sleep(0.1)
with lock:
    stats.x = 3  # RACE
t.join()
