"""shutdown(wait=True) orders every task before what follows."""
from concurrent.futures import ThreadPoolExecutor


class Tally:
    def __init__(self):
        self.n = 0


tallies = [Tally() for _ in range(3)]


def bump(t):
    t.n += 1


ex = ThreadPoolExecutor(max_workers=2)
for t in tallies:
    ex.submit(bump, t)
ex.shutdown(wait=True)
print([t.n for t in tallies])
