"""A race inside a function named `legacy_bump`, for the suppressions tests."""
import threading


class Box:
    value = 0


box = Box()


def legacy_bump():
    box.value += 1


def caller():
    legacy_bump()


ts = [threading.Thread(target=caller) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
