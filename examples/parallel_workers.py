"""Six workers doing two kinds of work, to try the parallel tools on.

    python3.13t examples/parallel_workers.py

Workers 0, 2 and 4 `fetch`, workers 1, 3 and 5 `parse`, counting their steps in `record`;
worker-0 calls `checkpoint` every 100 steps. Put a breakpoint on the line marked BREAK HERE and
start debugging: every thread stops, and

* Parallel Stacks (Run and Debug side bar) shows the six workers under one `Thread.run`, split
  in two (`fetch` and `parse`), and the main thread waiting in `join`;
* Parallel Watch on `step` shows each worker's own count, one row per thread;
* "Continue This Thread Only" (right-click worker-0 in the Call Stack) lets worker-0 alone run
  on to its next checkpoint: its `step` goes up by 100, the others' stay put.

The end-to-end test test/e2e/parallel.test.ts relies on the marked lines and the thread names.
"""
import threading

WORKERS = 6
#: worker-0 stops at the breakpoint every CHECK_EVERY steps, and ends the program after ROUNDS.
CHECK_EVERY = 100
ROUNDS = 20
everyone_started = threading.Barrier(WORKERS)
counts = [0] * WORKERS
done = False


def checkpoint(step: int) -> int:
    return step  # BREAK HERE


def record(index: int, step: int) -> None:
    global done
    counts[index] = step
    if index == 0 and step % CHECK_EVERY == 0:
        checkpoint(step)
        if step >= CHECK_EVERY * ROUNDS:
            done = True


def fetch(index: int) -> None:
    step = 0
    while not done:
        step += 1
        record(index, step)


def parse(index: int) -> None:
    step = 0
    while not done:
        step += 1
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
