"""Imported by loop.py after breakpoints are set: its breakpoints must bind on import."""


def triple(n):
    result = n * 3  # BP-TRIPLE
    return result
