"""An RLock taken twice by the worker publishes at the outermost release only; the write at
the same line after that release is not ordered before the main thread's."""
import threading
import time


class Stats:
    x = 0


stats = Stats()
rlock = threading.RLock()


def put(value):
    stats.x = value  # RACE


def worker():
    for _ in range(20):      # re-acquired by the same thread: one merged epoch
        with rlock:
            with rlock:
                put(0)
    put(1)                   # after the outermost release


t = threading.Thread(target=worker)
t.start()
time.sleep(0.2)
with rlock:
    stats.x = 3  # RACE
t.join()
