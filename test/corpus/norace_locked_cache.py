"""Check-then-act on a cache, done right: under one lock."""
import threading

cache = {}
lock = threading.Lock()


def lookup(key):
    with lock:
        if key not in cache:
            cache[key] = key * 2
        return cache[key]


ts = [threading.Thread(target=lookup, args=(7,)) for _ in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
