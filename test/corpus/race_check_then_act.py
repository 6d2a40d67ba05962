"""Check-then-act on a cache key: `if key not in cache: cache[key] = ...`."""
import threading

cache = {}


def lookup(key):
    if key not in cache:  # RACE
        cache[key] = key * 2  # RACE
    return cache[key]  # RACE


ts = [threading.Thread(target=lookup, args=(7,)) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
