"""Numeric loop: integer and float arithmetic in plain Python."""
from _harness import run


def work(first: int, count: int) -> int:
    acc = 0
    f = 0.0
    for i in range(first, first + count):
        acc = (acc + i * i) % 1_000_000_007
        f += (i % 13) * 0.5 - (i % 7) * 0.25
    return acc + int(f)


if __name__ == "__main__":
    run(work, 6_000_000)
