"""A byte of a shared bytearray is written and read without ordering."""
import threading

frame = bytearray(8)


def fill():
    frame[3] = 255  # RACE


t = threading.Thread(target=fill)
t.start()
b = frame[3]  # RACE
t.join()
