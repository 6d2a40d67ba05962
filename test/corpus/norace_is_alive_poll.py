"""Waiting for is_alive() to turn false orders the thread's writes before the reads."""
import threading
import time


class Out:
    value = None


out = Out()


def work():
    out.value = "done"


t = threading.Thread(target=work)
t.start()
while t.is_alive():
    time.sleep(0.001)
print(out.value)
