"""Polling is_set() until it is true also orders the reads after the write."""
import threading
import time


class Data:
    value = None


data = Data()
ready = threading.Event()


def producer():
    data.value = 7
    ready.set()


t = threading.Thread(target=producer)
t.start()
while not ready.is_set():
    time.sleep(0.001)
print(data.value)
t.join()
