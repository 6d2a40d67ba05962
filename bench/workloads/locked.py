"""Lock-heavy counters: every update of a shared-per-thread object happens under a lock, the shape
of carefully synchronised code (and the race detector's worst case: each access starts a new epoch)."""
import threading

from _harness import run


class Account:
    def __init__(self) -> None:
        self.balance = 0
        self.ops = 0


def work(first: int, count: int) -> int:
    lock = threading.Lock()
    acct = Account()
    for i in range(first, first + count):
        with lock:
            acct.balance += i % 10
            acct.ops += 1
    return acct.balance + acct.ops


if __name__ == "__main__":
    run(work, 2_500_000)
