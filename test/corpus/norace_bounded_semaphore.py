"""A BoundedSemaphore hands a permit from one thread to another."""
import threading


class Msg:
    text = ""


msg = Msg()
permit = threading.BoundedSemaphore(1)
permit.acquire()


def writer():
    msg.text = "hello"
    permit.release()


t = threading.Thread(target=writer)
t.start()
permit.acquire()
print(msg.text)
permit.release()
t.join()
