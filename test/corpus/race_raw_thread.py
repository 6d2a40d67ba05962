"""A thread started with _thread.start_new_thread races with its parent: its log is checked
when it ends, though threading never saw it (the parent waits on a plain flag, no edge)."""
import _thread
import time


class Counter:
    hits = 0


counter = Counter()
finished = []


def worker():
    counter.hits += 1  # RACE
    finished.append(True)


_thread.start_new_thread(worker, ())
counter.hits += 1  # RACE
while not finished:
    time.sleep(0.01)
