"""Iterating a list in one thread while another appends to it."""
import threading

items = [1, 2, 3]


def producer():
    for i in range(5):
        items.append(i)  # RACE


def consumer():
    return sum(x for x in items)  # RACE


t = threading.Thread(target=producer)
t.start()
consumer()
t.join()
