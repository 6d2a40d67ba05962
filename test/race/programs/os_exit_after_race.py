"""Races, then leaves with os._exit: the report must still come out."""
import os
import threading


class Box:
    value = 0


box = Box()


def bump():
    box.value += 1  # RACE


ts = [threading.Thread(target=bump) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("bye", flush=True)
os._exit(5)
