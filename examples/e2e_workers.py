"""Three worker threads, each building its own object: a small program to debug.

    python3.13t examples/e2e_workers.py

Each worker makes an `Item` (so the item's header names the worker as its owning thread), waits
until all workers are running, then folds numbers into it. A breakpoint on the marked line stops
the world with every worker alive. The end-to-end test (test/e2e/vscode.test.ts) relies on the
line marked BREAK HERE and on the thread names.
"""
import threading


class Item:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.total = 0


def work(index: int, started: threading.Barrier, results: list) -> None:
    item = Item(threading.current_thread().name)
    started.wait()
    for n in range(1000):
        item.total += n * index  # BREAK HERE
    results[index] = item.total


def main() -> None:
    count = 3
    started = threading.Barrier(count)
    results = [0] * count
    workers = [threading.Thread(target=work, args=(i, started, results), name=f"worker-{i}") for i in range(count)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("results:", results)


if __name__ == "__main__":
    main()
