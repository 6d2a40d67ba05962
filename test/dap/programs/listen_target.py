"""Run under `python -m ftpy_runtime --listen 0`, then attached to."""
import sys


def greet(name):
    message = "hello " + name  # BP-GREET
    return message


print(greet(sys.argv[1] if len(sys.argv) > 1 else "world"))
