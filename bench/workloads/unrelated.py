"""A file the benchmark sets breakpoints in: nothing ever runs these lines."""


def never_called() -> int:
    x = 1
    return x
