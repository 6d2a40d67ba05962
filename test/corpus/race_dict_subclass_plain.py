"""A dict subclass that overrides nothing keeps the dict model: check-then-act on it races."""
import threading


class Registry(dict):
    def describe(self):
        return f"{len(self)} entries"


reg = Registry()


def work(n):
    for i in range(50):
        if i not in reg:  # RACE
            reg[i] = n  # RACE


ts = [threading.Thread(target=work, args=(n,)) for n in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
