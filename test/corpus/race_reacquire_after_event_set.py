"""Between two uses of its own lock the worker sets an Event: the waiter learns what the
worker did before set() only, so the write after it races (the set must end the worker's
merged epoch)."""
import threading


class Data:
    a = 0
    b = 0
    c = 0


data = Data()
lock = threading.Lock()
ready = threading.Event()


def worker():
    with lock:
        data.a = 1
    ready.set()
    data.b = 2  # RACE
    with lock:               # re-acquires its own release: S was never joined, but set() was
        data.c = 3


t = threading.Thread(target=worker)
t.start()
ready.wait()
print(data.a)                # ordered: written before set()
data.b = 5  # RACE
t.join()
