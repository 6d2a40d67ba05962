"""Two reads of `gauge.level` in one method with no call between them: the second is
covered by the first (the same field of the same parameter, on every path), so only the
first is hooked (race/redundant.py).  The writer's write races with both; the report names
the first read, which is as true, and the second read costs nothing."""
import threading


class Gauge:
    def __init__(self):
        self.level = 0
        self.high = False

    def check(self):
        if self.level > 10:  # RACE
            self.high = True
        return self.level * 2


gauge = Gauge()


def writer():
    gauge.level = 20  # RACE


t = threading.Thread(target=writer)
t.start()
total = gauge.check()
t.join()
print(total in (0, 40))
