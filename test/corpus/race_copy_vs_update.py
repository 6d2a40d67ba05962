"""d.copy() in one thread, d.update() in another."""
import threading

settings = {"a": 1}


def updater():
    settings.update({"b": 2})  # RACE


t = threading.Thread(target=updater)
t.start()
snapshot = settings.copy()  # RACE
t.join()
