"""Ctrl-C while stopped at a breakpoint: the KeyboardInterrupt must wait until the program runs."""
import time
import traceback

try:
    total = 0
    for i in range(200):
        total += i  # BP-SIGINT
        time.sleep(0.01)
    print("finished without an interrupt")
except KeyboardInterrupt:
    print("caught KeyboardInterrupt")
    print("TRACEBACK " + traceback.format_exc().replace("\n", " | "))
