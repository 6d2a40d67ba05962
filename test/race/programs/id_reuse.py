"""Two threads churn through short-lived objects: ids are reused all the time, which must
never make accesses to different objects look like a race."""
import threading


class Point:
    def __init__(self, x):
        self.x = x


class Slotted:
    __slots__ = ("v",)

    def __init__(self):
        self.v = 0


def churn(n):
    for i in range(n):
        p = Point(i)
        p.x += 1
        s = Slotted()
        s.v = p.x
        d = {}
        d[i] = s.v
        lst = [d]
        lst.append(i)
        for _ in lst:
            pass


ts = [threading.Thread(target=churn, args=(10000,)) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("ok")
