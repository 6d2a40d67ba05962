"""One line, two paths that part two calls up: touch() is always called from the same line
of helper(); only helper's caller differs.  Only the shared path races, and the report
must name via_shared (each thread takes the private path first)."""
import threading


class Box:
    n = 0


def touch(obj):
    obj.n += 1  # RACE


def helper(obj):
    touch(obj)


def via_private():
    helper(Box())


shared = Box()


def via_shared():
    helper(shared)


def worker():
    for _ in range(20):
        via_private()
        via_shared()


ts = [threading.Thread(target=worker) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
