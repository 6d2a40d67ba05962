"""The racy accesses sit a few calls deep; the report shows the whole stack."""
import threading


class Ledger:
    def __init__(self):
        self.entries = 0


def post(ledger):
    ledger.entries = ledger.entries + 1  # RACE


def settle(ledger):
    post(ledger)


def batch(ledger):
    for _ in range(3):
        settle(ledger)


ledger = Ledger()
ts = [threading.Thread(target=batch, args=(ledger,), name=f"batch-{i}") for i in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
