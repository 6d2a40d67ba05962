"""The main thread writes before starting a Timer and reads after joining it."""
import threading


class State:
    pass


state = State()
state.value = 1


def fire():
    state.value = state.value + 1


timer = threading.Timer(0.001, fire)
timer.start()
timer.join()
print(state.value)
