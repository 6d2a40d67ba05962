"""An object is published to another thread before it is fully initialised."""
import threading


class Box:
    pass


class Shared:
    item = None


shared = Shared()
published = threading.Event()


def writer():
    box = Box()
    shared.item = box
    published.set()
    box.payload = 42  # RACE


def reader():
    published.wait()
    box = shared.item
    print(box.payload if hasattr(box, "payload") else None)  # RACE


w = threading.Thread(target=writer)
r = threading.Thread(target=reader)
w.start()
r.start()
w.join()
r.join()
