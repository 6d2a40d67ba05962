"""Two threads bump the same attribute with no lock: a data race."""
import threading


class Counter:
    def __init__(self):
        self.value = 0


counter = Counter()


def bump():
    for _ in range(1000):
        counter.value += 1  # RACE-LINE


threads = [threading.Thread(target=bump, name=f"bumper-{i}") for i in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("value", counter.value)
