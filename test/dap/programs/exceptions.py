"""One exception raised and handled, then one that kills a thread."""
import threading


def risky():
    try:
        raise ValueError("handled one")  # RAISE-HANDLED
    except ValueError:
        pass


def crash_thread():
    raise RuntimeError("thread dies")  # RAISE-UNCAUGHT


def parse():
    import json

    try:
        json.loads("{not json")  # LIBRARY-RAISE
    except ValueError:
        pass


risky()
parse()
t = threading.Thread(target=crash_thread, name="crasher")
t.start()
t.join()
print("after")
