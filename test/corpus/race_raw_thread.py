"""A thread started with _thread.start_new_thread races with its parent: its log is checked
when it ends, though threading never saw it.  The parent waits, without an edge, for a
plain flag the thread sets, then until _thread counts no thread of its own running (the
count drops after the thread's function, and so its log's check, has returned: the flag
alone could let the program end before that check)."""
import _thread
import time


class Counter:
    hits = 0


counter = Counter()
started = []


def worker():
    counter.hits += 1  # RACE
    started.append(True)


_thread.start_new_thread(worker, ())
counter.hits += 1  # RACE
while not started or _thread._count():
    time.sleep(0.01)
