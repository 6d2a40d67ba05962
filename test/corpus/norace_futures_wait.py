"""concurrent.futures.wait() orders the tasks before the reads."""
from concurrent.futures import ThreadPoolExecutor, wait


class Cell:
    v = 0


cells = [Cell() for _ in range(3)]


def fill(c, n):
    c.v = n


ex = ThreadPoolExecutor(max_workers=2)
futs = [ex.submit(fill, c, i) for i, c in enumerate(cells)]
wait(futs)
print([c.v for c in cells])
ex.shutdown(wait=True)
