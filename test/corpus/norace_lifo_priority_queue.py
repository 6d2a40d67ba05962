"""LifoQueue and PriorityQueue order their put() before their get()."""
import queue
import threading


class Item:
    def __init__(self):
        self.payload = None

    def __lt__(self, other):
        return id(self) < id(other)


lifo = queue.LifoQueue()
prio = queue.PriorityQueue()


def producer():
    a = Item()
    a.payload = "lifo"
    lifo.put(a)
    b = Item()
    b.payload = "prio"
    prio.put((1, b))


t = threading.Thread(target=producer)
t.start()
print(lifo.get().payload)
print(prio.get()[1].payload)
t.join()
