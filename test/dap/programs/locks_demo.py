"""`holder` takes a Lock and keeps it; `blocked` waits for it.  Once `blocked` is inside
acquire(), the main thread stops at BP-LOCKS."""
import dis
import sys
import threading
import time

guard = threading.Lock()  # GUARD
have_it = threading.Event()
finish = threading.Event()


def holder():
    with guard:
        have_it.set()
        finish.wait()


def blocked():
    have_it.wait()
    with guard:
        pass


def in_acquire(thread):
    """Is `thread` blocked taking a lock?  In the debugger's `_wait_for_lock` (an acquire() that has
    to wait), or inside a `with` statement's C `__enter__` (its innermost frame on BEFORE_WITH)."""
    frame = sys._current_frames().get(thread.ident)
    innermost = frame
    while frame is not None:
        if frame.f_code.co_name == "_wait_for_lock":
            return True
        frame = frame.f_back
    return innermost is not None and innermost.f_code.co_code[innermost.f_lasti] == dis.opmap["BEFORE_WITH"]


h = threading.Thread(target=holder, name="holder", daemon=True)
h.start()
b = threading.Thread(target=blocked, name="blocked", daemon=True)
b.start()
deadline = time.monotonic() + 30
while not in_acquire(b) and time.monotonic() < deadline:
    time.sleep(0.01)
print("blocked is waiting", flush=True)
ready = True  # BP-LOCKS
finish.set()
b.join()
