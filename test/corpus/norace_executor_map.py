"""executor.map() hands arguments in and results out."""
from concurrent.futures import ThreadPoolExecutor


class Point:
    def __init__(self, x):
        self.x = x


def square(p):
    p.x = p.x * p.x
    return p


points = [Point(i) for i in range(5)]
with ThreadPoolExecutor(max_workers=2) as ex:
    out = list(ex.map(square, points))
print([p.x for p in out])
