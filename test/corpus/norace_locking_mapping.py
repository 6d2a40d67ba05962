"""A thread-safe mapping that takes its own lock inside __setitem__/__getitem__/__contains__.

`table[k] = v` on such an object is a call: only the accesses the methods make count, and
they are all under the lock.
"""
import threading


class LockedMap:
    def __init__(self):
        self._lock = threading.Lock()
        self._data = {}

    def __setitem__(self, key, value):
        with self._lock:
            self._data[key] = value

    def __getitem__(self, key):
        with self._lock:
            return self._data[key]

    def __contains__(self, key):
        with self._lock:
            return key in self._data

    def __delitem__(self, key):
        with self._lock:
            del self._data[key]

    def __len__(self):
        with self._lock:
            return len(self._data)


table = LockedMap()


def work(n):
    for i in range(200):
        table["hits"] = i + n
        if "hits" in table:
            table["hits"]
        table[i % 3] = n
        del table[i % 3]


ts = [threading.Thread(target=work, args=(n,)) for n in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(len(table))
