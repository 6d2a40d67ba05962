"""One thread deletes an attribute another thread reads."""
import threading


class Conn:
    def __init__(self):
        self.socket = object()


conn = Conn()


def close():
    del conn.socket  # RACE


t = threading.Thread(target=close)
t.start()
try:
    s = conn.socket  # RACE
except AttributeError:
    pass
t.join()
