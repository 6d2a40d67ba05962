"""The writer takes the lock; the reader does not."""
import threading


class Stats:
    count = 0


stats = Stats()
lock = threading.Lock()


def writer():
    for _ in range(5):
        with lock:
            stats.count += 1  # RACE


t = threading.Thread(target=writer)
t.start()
seen = stats.count  # RACE
t.join()
