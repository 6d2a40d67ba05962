"""A program that is already running when the debugger arrives.

It calls ftpy_runtime.remote.serve itself, which is exactly what the code injected by
sys.remote_exec does on Python 3.14 (attach by pid); here it lets 3.13 test that half.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.environ["FTPY_TEST_RUNTIME"])
from ftpy_runtime.remote import serve  # noqa: E402

counter = 0


def count():
    global counter
    while True:
        counter += 1  # LATE-LOOP


threading.Thread(target=count, name="late-counter", daemon=True).start()
time.sleep(0.2)
serve(sys.argv[1], os.environ["FTPY_TEST_SECRET"])
time.sleep(60)
