"""Write, then set(); the waiter reads after wait()."""
import threading


class Data:
    value = None


data = Data()
ready = threading.Event()


def producer():
    data.value = "ready"
    ready.set()


t = threading.Thread(target=producer)
t.start()
ready.wait()
print(data.value)
t.join()
