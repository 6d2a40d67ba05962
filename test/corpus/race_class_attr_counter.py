"""A counter kept on the class, bumped from two threads."""
import threading


class Widget:
    created = 0

    def __init__(self):
        Widget.created += 1  # RACE


ts = [threading.Thread(target=Widget) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
