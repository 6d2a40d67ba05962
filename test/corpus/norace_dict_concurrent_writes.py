"""Concurrent stores into a dict (even to the same key) are single operations."""
import threading

latest = {}


def report(worker):
    for i in range(5):
        latest[worker] = i
        latest["any"] = worker
    latest.setdefault("first", worker)


ts = [threading.Thread(target=report, args=(f"w{i}",)) for i in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(latest))
