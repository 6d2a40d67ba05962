"""Every access to the counter holds the same lock."""
import threading


class Counter:
    def __init__(self):
        self.value = 0
        self.lock = threading.Lock()

    def bump(self):
        with self.lock:
            self.value += 1


c = Counter()
ts = [threading.Thread(target=lambda: [c.bump() for _ in range(30)]) for _ in range(2)]
for t in ts:
    t.start()
with c.lock:
    seen = c.value
for t in ts:
    t.join()
