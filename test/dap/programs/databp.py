"""Data breakpoints: one watched place per kind (argv[1]), written 3 times by the main thread
(which made it, so owns it) and twice by the thread 'writer'; its neighbours are written too,
and must never stop."""

import sys
import threading

KIND = sys.argv[1] if len(sys.argv) > 1 else "attribute"


class Box:
    def __init__(self) -> None:
        self.value = 0
        self.other = 0


box = Box()
table = {"hits": 0, "misc": 0}
slots = [0, 0, 0]
counter = 0
untouched = 0


def main() -> None:
    n = 0

    def bump(v: int) -> None:
        nonlocal n
        n = v  # WRITE-cell

    def write(v: int) -> None:
        global counter
        if KIND == "attribute":
            box.value = v  # WRITE-attribute
        elif KIND == "dict":
            table["hits"] = v  # WRITE-dict
        elif KIND == "list":
            slots[1] = v  # WRITE-list
        elif KIND == "global":
            counter = v  # WRITE-global
        else:
            bump(v)
        # The neighbours: never the watched place.
        box.other = v
        table["misc"] = v
        slots[0] = v
        slots[2] = v
        table["hits" if KIND == "list" else "misc"] = v

    ready = n  # BP-READY
    for i in range(1, 4):
        write(i * 1000)
    t = threading.Thread(target=lambda: [write(i * 1000 + 7) for i in range(1, 3)], name="writer")
    t.start()
    t.join()
    print("done", ready, box.value, table["hits"], slots[1], counter, n)


main()
