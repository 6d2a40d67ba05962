"""queue.SimpleQueue orders put() before get()."""
import queue
import threading


class Msg:
    body = None


sq = queue.SimpleQueue()


def send():
    m = Msg()
    m.body = "hi"
    sq.put(m)


t = threading.Thread(target=send)
t.start()
print(sq.get().body)
t.join()
