"""len(), append() and pop() are single operations: they do not race with each other."""
import threading

buf = []


def push():
    for i in range(10):
        buf.append(i)
        n = len(buf)


def pop():
    for _ in range(10):
        try:
            buf.pop()
        except IndexError:
            pass


ts = [threading.Thread(target=push), threading.Thread(target=pop)]
for t in ts:
    t.start()
for t in ts:
    t.join()
