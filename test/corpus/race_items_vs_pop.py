"""Iterating d.items() while another thread pops a key."""
import threading

sessions = {"alice": 1, "bob": 2}


def expire():
    sessions.pop("bob", None)  # RACE


t = threading.Thread(target=expire)
t.start()
for name, ident in sessions.items():  # RACE
    pass
t.join()
