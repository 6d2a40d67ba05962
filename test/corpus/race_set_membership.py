"""`x in seen` against `seen.add(x)` from another thread (same key)."""
import threading

seen = set()


def mark():
    seen.add("job-1")  # RACE


t = threading.Thread(target=mark)
t.start()
if "job-1" in seen:  # RACE
    pass
t.join()
