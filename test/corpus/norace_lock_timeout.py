"""acquire(timeout=...) and explicit release()."""
import threading


class Box:
    n = 0


box = Box()
lock = threading.Lock()


def work():
    for _ in range(10):
        if lock.acquire(timeout=30):
            try:
                box.n += 1
            finally:
                lock.release()


ts = [threading.Thread(target=work) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
