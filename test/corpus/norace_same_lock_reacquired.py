"""Two threads take turns on one lock around shared state, each re-acquiring it many times
in a row in between (merged epochs), and touch only their own objects outside it."""
import threading


class Shared:
    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.seen = {}
        self.order = []


class Mine:
    def __init__(self):
        self.steps = 0


shared = Shared()


def work(name):
    mine = Mine()
    for i in range(3000):
        with shared.lock:
            shared.count += 1
            shared.seen[i % 7] = name
            if i % 100 == 0:
                shared.order.append(name)
        mine.steps += 1          # outside the lock, but this thread's own
        if i % 500 == 0:
            shared.lock.acquire()
            shared.count -= 1
            shared.lock.release()
    return mine.steps


ts = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
for t in ts:
    t.start()
with shared.lock:
    snapshot = (shared.count, dict(shared.seen))
for t in ts:
    t.join()
print(shared.count, sorted(shared.seen), len(shared.order))
