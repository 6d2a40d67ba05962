"""Results taken through as_completed()."""
from concurrent.futures import ThreadPoolExecutor, as_completed


class Acc:
    def __init__(self):
        self.total = 0


def compute(a, n):
    a.total = n * n
    return a


accs = [Acc() for _ in range(4)]
with ThreadPoolExecutor(max_workers=2) as ex:
    futs = [ex.submit(compute, a, i) for i, a in enumerate(accs)]
    for f in as_completed(futs):
        print(f.result().total)
