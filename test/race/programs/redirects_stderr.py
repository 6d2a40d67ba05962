"""Replaces sys.stderr, then races: the report must reach the real stderr, not the program."""
import io
import sys
import threading

mine = io.StringIO()
sys.stderr = mine


class Box:
    value = 0


box = Box()


def bump():
    box.value += 1


ts = [threading.Thread(target=bump) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
sys.stderr = sys.__stderr__
print("program saw a report:", "DATA RACE" in mine.getvalue())
