"""Concurrent appends are single atomic operations; reading after join is ordered."""
import threading

results = []


def produce(i):
    for j in range(10):
        results.append(i * 100 + j)


ts = [threading.Thread(target=produce, args=(i,)) for i in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(len(results), sorted(results)[:3])
for r in results:
    pass
