"""Two reads of `box.x` on one line share a site; a release between them (the Event's set)
starts a new epoch, so the second read is logged again: it is not ordered before the
writer's write, which waited only for the set.  The first read is ordered before it."""
import threading


class Box:
    def __init__(self):
        self.x = 0


box = Box()
ready = threading.Event()


def signal():
    ready.set()
    return 0


def writer():
    ready.wait()
    box.x = 1  # RACE


t = threading.Thread(target=writer)
t.start()
seen = box.x + signal() + box.x  # RACE
t.join()
print(seen <= 1)
