"""A thread that reaches a breakpoint the moment it starts: the world stops before the runtime's
half-second poll for new threads has seen it."""

import threading


def early() -> None:
    x = 1  # BP-EARLY
    print("early done", x)


t = threading.Thread(target=early, name="early")
t.start()
t.join()
