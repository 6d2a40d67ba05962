"""Library-shaped code: an LRU cache (a dict of values plus an OrderedDict of recency) behind
one lock per get/set, as caching libraries write it.  Each thread has its own cache, so the
work splits without contention and the race detector reports nothing."""
import threading
from collections import OrderedDict

from _harness import run


class LRUCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self.data: dict[int, int] = {}
        self.order: OrderedDict[int, None] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: int) -> int | None:
        with self.lock:
            if key in self.data:
                self.order.move_to_end(key)
                self.hits += 1
                return self.data[key]
            self.misses += 1
            return None

    def set(self, key: int, value: int) -> None:
        with self.lock:
            self.data[key] = value
            self.order[key] = None
            self.order.move_to_end(key)
            if len(self.order) > self.size:
                old, _ = self.order.popitem(last=False)
                del self.data[old]


def work(first: int, count: int) -> int:
    cache = LRUCache(64)
    total = 0
    for i in range(first, first + count):
        key = (i * 7) % 100
        v = cache.get(key)
        if v is None:
            cache.set(key, i)
        else:
            total += v
    return (total + cache.hits + cache.misses) % 1_000_003


if __name__ == "__main__":
    run(work, 400_000)
