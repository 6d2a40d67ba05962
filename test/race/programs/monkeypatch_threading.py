"""A program that replaces parts of threading itself, then races."""
import threading

_orig_start = threading.Thread.start
started = []


def logging_start(self):
    started.append(self.name)
    _orig_start(self)


threading.Thread.start = logging_start
threading.Lock = threading.RLock          # now every "Lock" is re-entrant


class Box:
    value = 0


box = Box()


def bump():
    with threading.Lock():                # a fresh lock each time: no ordering
        box.value += 1  # RACE


ts = [threading.Thread(target=bump) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("started", len(started))
