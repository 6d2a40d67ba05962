"""Threads that each work on their own objects share nothing."""
import threading


class Acc:
    def __init__(self):
        self.total = 0
        self.items = {}

    def add(self, k):
        self.total += k
        self.items[k] = self.items.get(k, 0) + 1


def work():
    a = Acc()
    for i in range(20):
        a.add(i % 4)
    return a.total


ts = [threading.Thread(target=work) for _ in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
