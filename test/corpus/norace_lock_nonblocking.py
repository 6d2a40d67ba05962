"""A non-blocking acquire retried until it succeeds."""
import threading
import time


class Box:
    n = 0


box = Box()
lock = threading.Lock()


def work():
    for _ in range(5):
        while not lock.acquire(blocking=False):
            time.sleep(0.0005)
        box.n += 1
        lock.release()


ts = [threading.Thread(target=work) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
