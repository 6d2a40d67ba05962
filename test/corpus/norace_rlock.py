"""A re-entrant lock taken twice by the same thread, shared with another thread."""
import threading


class Registry:
    def __init__(self):
        self.lock = threading.RLock()
        self.items = {}

    def add(self, k, v):
        with self.lock:
            self._store(k, v)

    def _store(self, k, v):
        with self.lock:
            self.items[k] = v
            self.size = len(self.items)


reg = Registry()
t = threading.Thread(target=reg.add, args=("a", 1))
t.start()
reg.add("b", 2)
t.join()
with reg.lock:
    print(reg.size)
