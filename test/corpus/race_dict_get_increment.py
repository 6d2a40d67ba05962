"""`d[k] = d.get(k, 0) + 1` from two threads: the get and the store race."""
import threading

hits = {}


def record(word):
    hits[word] = hits.get(word, 0) + 1  # RACE


def worker():
    for _ in range(20):
        record("python")


ts = [threading.Thread(target=worker) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(hits)
