"""Six workers doing two kinds of work, to try the parallel tools on.

    python3.13t examples/parallel_workers.py

Workers 0, 2 and 4 `fetch`, workers 1, 3 and 5 `parse`; each then counts its steps in
`record`. Put a breakpoint on the line marked BREAK HERE and start debugging: every thread
stops, and

* Parallel Stacks (Run and Debug side bar) shows the six workers under one `Thread.run`, split
  in two (`fetch` and `parse`), and the main thread waiting in `join`;
* Parallel Watch on `step` shows each worker's own count, one row per thread;
* "Continue This Thread Only" (right-click a worker in the Call Stack) lets that worker alone
  run on to its next step: its `step` goes up, the others' stay put.

The end-to-end test test/e2e/parallel.test.ts relies on the marked lines and the thread names.
"""
import threading

WORKERS = 6
STEPS = 50
everyone_started = threading.Barrier(WORKERS)
counts = [0] * WORKERS


def record(index: int, step: int) -> None:
    counts[index] = step  # BREAK HERE


def fetch(index: int) -> None:
    for step in range(1, STEPS + 1):
        record(index, step)


def parse(index: int) -> None:
    for step in range(1, STEPS + 1):
        record(index, step)


def work(index: int) -> None:
    everyone_started.wait()
    if index % 2 == 0:
        fetch(index)
    else:
        parse(index)


def main() -> None:
    workers = [threading.Thread(target=work, args=(i,), name=f"worker-{i}") for i in range(WORKERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()  # MAIN WAITS HERE
    print("counts:", counts)


if __name__ == "__main__":
    main()
