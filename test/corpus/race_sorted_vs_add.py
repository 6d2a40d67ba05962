"""sorted(s) reads the whole set while another thread adds to it."""
import threading

seen = {3, 1, 2}


def adder():
    seen.add(10)  # RACE


t = threading.Thread(target=adder)
t.start()
order = sorted(seen)  # RACE
t.join()
