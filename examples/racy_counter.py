"""Two threads increment a shared counter with no lock: a data race.

    python3.13t examples/racy_counter.py        # prints a total that is often short
    ftpy race -- examples/racy_counter.py       # reports the race, exits 66

`counter.value += 1` is a read and a write that another thread can interleave with. The race
detector reports it whether or not the updates were lost on a given run. Guarding the increment
with a `threading.Lock` makes the report go away.
"""
import threading


class Counter:
    def __init__(self) -> None:
        self.value = 0


def bump(counter: Counter, times: int) -> None:
    for _ in range(times):
        counter.value += 1  # RACE HERE


def main() -> None:
    counter = Counter()
    workers = [threading.Thread(target=bump, args=(counter, 10_000), name=f"worker-{i}") for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("total:", counter.value, "of", 20_000)


if __name__ == "__main__":
    main()
