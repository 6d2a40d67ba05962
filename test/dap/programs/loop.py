"""A single-threaded loop, for conditions, logpoints and function breakpoints."""
import helper_module


def square(n):
    return n * n  # BP-SQUARE


results = []
for i in range(10):
    value = square(i)  # BP-LOOP
    results.append(value)
print("total", sum(results), helper_module.triple(2))
