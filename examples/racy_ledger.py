"""A worker posts entries to a ledger while the main thread audits the balance, with no lock.

    python3.13t examples/racy_ledger.py         # prints whatever balance the audit happened to see
    ftpy race -- examples/racy_ledger.py        # reports the race, exits 66

The write (`post`, called from `run_batch` in the worker) and the read (`audit`, called from
`main`) are in different functions of different threads, so the report's two stacks differ:
the example for the race view's two columns ("Show race"). Which access comes first, and so
which one the report calls "current", depends on the run. Holding one `threading.Lock` in both
`post` and `audit` makes the report go away.
"""
import threading


class Ledger:
    def __init__(self) -> None:
        self.balance = 0


def post(ledger: Ledger, amount: int) -> None:
    ledger.balance += amount  # WRITE HERE


def run_batch(ledger: Ledger, amounts: list[int]) -> None:
    for amount in amounts:
        post(ledger, amount)


def audit(ledger: Ledger) -> int:
    return ledger.balance  # READ HERE


def main() -> None:
    ledger = Ledger()
    worker = threading.Thread(target=run_batch, args=(ledger, [1] * 1000), name="poster")
    worker.start()  # START HERE
    seen = audit(ledger)
    worker.join()
    print("audited a balance of", seen, "then", ledger.balance)


if __name__ == "__main__":
    main()
