"""A producer and a consumer hand over data through a Condition."""
import threading


class Slot:
    data = None


slot = Slot()
cond = threading.Condition()


def producer():
    with cond:
        slot.data = [1, 2, 3]
        cond.notify()


def consumer():
    with cond:
        cond.wait_for(lambda: slot.data is not None, timeout=30)
        print(sum(slot.data))


c = threading.Thread(target=consumer)
c.start()
p = threading.Thread(target=producer)
p.start()
p.join()
c.join()
