"""A dict keyed by objects with their own __hash__, iterated while another thread stores.

The race is between the two program lines; the key class's __hash__ (run by the dict) is
not an access of the race, and describing the location must not call the key's
__hash__ or __repr__.
"""
import threading
import time


class Key:
    def __init__(self, n):
        self.n = n

    def __hash__(self):
        return hash(self.n)

    def __eq__(self, other):
        return isinstance(other, Key) and other.n == self.n

    def __repr__(self):
        raise AssertionError("the detector called Key.__repr__")


registry = {Key(0): 0}


def fill():
    for i in range(1, 200):
        registry[Key(i)] = i  # RACE


def total():
    s = 0
    for _ in range(20):
        for k in list(registry):  # RACE
            s += 1
    return s


t = threading.Thread(target=fill)
t.start()
time.sleep(0.3)     # keeps them apart in time (no crash); orders nothing
total()
t.join()
