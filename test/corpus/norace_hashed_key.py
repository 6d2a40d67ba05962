"""A key class whose __hash__ reads a field that another thread writes.

The program never hashes the key (`in` on a list compares by identity first), so its
__hash__ never runs: the detector must not run it either (it used to hash every key it
logged, running the instrumented __hash__ on the checking thread, and reported a race no
program line made).
"""
import threading


class Key:
    def __init__(self, label):
        self.label = label

    def __hash__(self):
        return hash(self.label)

    def __eq__(self, other):
        return isinstance(other, Key) and other.label == self.label


key = Key("a")
known = [key]
lock = threading.Lock()


def reader():
    for _ in range(200):
        assert key in known


def writer():
    for i in range(200):
        with lock:
            key.label = f"a{i}"


ts = [threading.Thread(target=reader), threading.Thread(target=writer)]
for t in ts:
    t.start()
for t in ts:
    t.join()
