"""Between two uses of its own lock L the worker releases another lock M, which the main
thread then takes: it learns what the worker did before releasing M, not the write after."""
import threading
import time


class Data:
    a = 0
    b = 0
    c = 0


data = Data()
lock = threading.Lock()
other = threading.Lock()


def worker():
    with lock:
        data.a = 1
    with other:
        data.c = 1
    data.b = 2  # RACE
    with lock:               # its own release of L, never joined; but M's was
        data.a = 3


t = threading.Thread(target=worker)
t.start()
time.sleep(0.2)
with other:
    print(data.c)            # ordered: written under M
    data.b = 5  # RACE
t.join()
