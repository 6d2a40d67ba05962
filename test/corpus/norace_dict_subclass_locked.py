"""A dict subclass that overrides __setitem__/__getitem__/__contains__ with a lock: its
subscripts are calls to those methods (the methods' own accesses are locked)."""
import threading


class SafeDict(dict):
    def __init__(self):
        super().__init__()
        self.lock = threading.RLock()

    def __setitem__(self, key, value):
        with self.lock:
            super().__setitem__(key, value)

    def __getitem__(self, key):
        with self.lock:
            return super().__getitem__(key)

    def __contains__(self, key):
        with self.lock:
            return super().__contains__(key)


seen = SafeDict()


def work(n):
    for i in range(100):
        if "k" not in seen:
            seen["k"] = n
        seen["k"]


ts = [threading.Thread(target=work, args=(n,)) for n in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
