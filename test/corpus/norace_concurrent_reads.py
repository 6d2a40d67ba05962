"""Many threads only reading shared data never race."""
import threading


class Table:
    def __init__(self):
        self.rows = {i: i * i for i in range(10)}
        self.name = "squares"


table = Table()


def read():
    total = 0
    for k, v in table.rows.items():
        total += v
    return table.name, total, table.rows.get(3)


ts = [threading.Thread(target=read) for _ in range(3)]
for t in ts:
    t.start()
read()
for t in ts:
    t.join()
