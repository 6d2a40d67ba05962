"""list(dq) copies a deque while another thread appends."""
import collections
import threading

events = collections.deque([1, 2])


def append_events():
    events.append(3)  # RACE


t = threading.Thread(target=append_events)
t.start()
copy = list(events)  # RACE
t.join()
