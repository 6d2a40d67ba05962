"""A plain global used as a stop flag: no happens-before between the write and the read."""
import threading
import time

stop = False


def spin():
    n = 0
    while not stop:  # RACE
        n += 1
        time.sleep(0.001)
    return n


t = threading.Thread(target=spin)
t.start()
time.sleep(0.01)
stop = True  # RACE
t.join()
