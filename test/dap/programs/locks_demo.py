"""`holder` takes a Lock in a `with` and keeps it; `blocked` waits for it; `clerk` takes another
with acquire() and keeps it, and a third in a function that has returned (no frame shows who
holds that one).  Once `blocked` is inside acquire(), the main thread stops at BP-LOCKS."""
import dis
import sys
import threading
import time

guard = threading.Lock()  # GUARD
ledger = threading.Lock()  # LEDGER
stamp = threading.Lock()  # STAMP
have_it = threading.Event()
clerk_has_it = threading.Event()
finish = threading.Event()


def holder():
    with guard:
        have_it.set()
        finish.wait()


def take_stamp():
    stamp.acquire()


def clerk():
    take_stamp()
    ledger.acquire()
    try:
        clerk_has_it.set()
        finish.wait()
    finally:
        ledger.release()


def blocked():
    have_it.wait()
    with guard:
        pass


def in_acquire(thread):
    """Is `thread` blocked taking a lock, inside a `with` statement's C `__enter__` (its innermost
    frame on BEFORE_WITH; a plain Lock is the C lock under the debugger too)?"""
    frame = sys._current_frames().get(thread.ident)
    return frame is not None and frame.f_code.co_code[frame.f_lasti] == dis.opmap["BEFORE_WITH"]


h = threading.Thread(target=holder, name="holder", daemon=True)
h.start()
c = threading.Thread(target=clerk, name="clerk", daemon=True)
c.start()
clerk_has_it.wait()
b = threading.Thread(target=blocked, name="blocked", daemon=True)
b.start()
deadline = time.monotonic() + 30
while not in_acquire(b) and time.monotonic() < deadline:
    time.sleep(0.01)
print("blocked is waiting", flush=True)
ready = True  # BP-LOCKS
finish.set()
b.join()
