"""A counter in a closure cell, bumped with `nonlocal` from two threads."""
import threading


def main():
    count = 0

    def bump():
        nonlocal count
        for _ in range(20):
            count += 1  # RACE

    ts = [threading.Thread(target=bump) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return count


main()
