"""One line reached through two callers; only the path through the shared ledger races.

Each thread reaches `add` through its private ledger first, so a stack kept from the first
access at the line would name `record_private`; the report must name `record_shared`.
"""
import threading


class Ledger:
    def __init__(self):
        self.total = 0


def add(ledger, n):
    ledger.total += n  # RACE


def record_private(n):
    mine = Ledger()
    add(mine, n)


shared = Ledger()


def record_shared(n):
    add(shared, n)


def worker():
    for i in range(20):
        record_private(i)
        record_shared(i)


ts = [threading.Thread(target=worker) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
