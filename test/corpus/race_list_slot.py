"""One thread writes a list slot while another reads the same slot."""
import threading

slots = [0, 0, 0]


def writer():
    slots[1] = 99  # RACE


t = threading.Thread(target=writer)
t.start()
value = slots[1]  # RACE
t.join()
