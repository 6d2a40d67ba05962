"""An LRU cache whose get() reorders its OrderedDict outside the lock that the snapshot holds.

move_to_end changes the order; listing the keys while another thread moves one is a race
(on 3.13t it can raise "OrderedDict mutated during iteration" or worse).  The sleep keeps
the two apart in time here, so the program itself never breaks; it orders nothing.
"""
import threading
import time
from collections import OrderedDict


class LRU:
    def __init__(self):
        self.lock = threading.Lock()
        self.order = OrderedDict((i, str(i)) for i in range(16))

    def touch(self, key):
        self.order.move_to_end(key)  # RACE

    def oldest_first(self):
        with self.lock:
            return list(self.order)  # RACE


cache = LRU()


def user():
    for i in range(300):
        cache.touch(i % 16)


t = threading.Thread(target=user)
t.start()
time.sleep(0.3)
for _ in range(30):
    cache.oldest_first()
t.join()
