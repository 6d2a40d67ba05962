"""Three philosophers, three forks, and a deadlock that happens every time.

    python3.13t examples/dining_philosophers.py

Each philosopher picks up the fork on their left, waits until everybody holds one (a barrier),
then reaches for the fork on their right, which their neighbour holds: a cycle of three threads
each waiting for a lock the next one holds. Debug it with the Free-Threaded Python debugger and
pause: the debugger reports the deadlock, and "Show Lock Wait-For Graph" draws the three threads,
the three forks, who holds which and who waits for which, the cycle in red.
(The end-to-end test test/e2e/parallel.test.ts uses it.)
"""
import threading

SEATS = 3
forks = [threading.Lock() for _ in range(SEATS)]
everyone_holds_one = threading.Barrier(SEATS)


def dine(seat: int) -> None:
    left, right = forks[seat], forks[(seat + 1) % SEATS]
    with left:
        everyone_holds_one.wait()
        with right:  # WAITS HERE: the neighbour holds it
            print(f"philosopher {seat} eats")


def main() -> None:
    philosophers = [threading.Thread(target=dine, args=(i,), name=f"philosopher-{i}", daemon=True) for i in range(SEATS)]
    for p in philosophers:
        p.start()
    print("the philosophers sit down", flush=True)
    for p in philosophers:
        p.join()


if __name__ == "__main__":
    main()
