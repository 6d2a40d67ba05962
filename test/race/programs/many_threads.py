"""500 threads all bump one unsynchronised counter."""
import threading


class Counter:
    value = 0


c = Counter()


def bump():
    c.value += 1  # RACE


ts = [threading.Thread(target=bump) for _ in range(500)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("threads done")
