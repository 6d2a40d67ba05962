"""One thread sleeps (native code) while another stops at a breakpoint; then the sleeper wakes."""
import threading
import time

ticks = 0


def sleeper():
    global ticks
    time.sleep(3.0)
    while True:
        ticks += 1  # SLEEPER-LOOP


def stopper():
    time.sleep(0.2)
    x = 1  # BP-NATIVE
    return x


threading.Thread(target=sleeper, name="sleeper", daemon=True).start()
s = threading.Thread(target=stopper, name="stopper")
s.start()
s.join()
