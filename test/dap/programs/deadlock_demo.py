"""Two threads take two locks in opposite orders and deadlock for sure (a barrier makes each
hold its first lock before it asks for the second)."""
import dis
import sys
import threading
import time

lock_a = threading.Lock()
lock_b = threading.Lock()
both_hold = threading.Barrier(2)


def first():
    with lock_a:
        both_hold.wait()
        with lock_b:
            pass


def second():
    with lock_b:
        both_hold.wait()
        with lock_a:
            pass


def in_acquire(thread):
    """Is `thread` blocked taking a lock, inside a `with` statement's C `__enter__` (its innermost
    frame on BEFORE_WITH; a plain Lock is the C lock under the debugger too)?"""
    frame = sys._current_frames().get(thread.ident)
    return frame is not None and frame.f_code.co_code[frame.f_lasti] == dis.opmap["BEFORE_WITH"]


t1 = threading.Thread(target=first, name="first", daemon=True)
t2 = threading.Thread(target=second, name="second", daemon=True)
t1.start()
t2.start()
deadline = time.monotonic() + 30
while not (in_acquire(t1) and in_acquire(t2)) and time.monotonic() < deadline:
    time.sleep(0.01)
print("deadlocked", flush=True)
t1.join()
