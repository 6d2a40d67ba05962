"""A threading.Timer callback and the main thread both write a field."""
import threading


class State:
    status = "idle"


state = State()


def expire():
    state.status = "expired"  # RACE


timer = threading.Timer(0.001, expire)
timer.start()
state.status = "busy"  # RACE
timer.join()
