"""Lost update: two threads do `self.value += 1` with nothing ordering them."""
import threading


class Counter:
    def __init__(self):
        self.value = 0

    def bump(self):
        self.value += 1  # RACE


counter = Counter()
threads = [threading.Thread(target=lambda: [counter.bump() for _ in range(50)]) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(counter.value)
