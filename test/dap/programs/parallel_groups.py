"""N worker threads (default 64) parked in three distinct stacks, then a breakpoint on main.

Workers i % 4 in (0, 1) wait in alpha -> alpha_inner -> wait_here, i % 4 == 2 in beta ->
wait_here, i % 4 == 3 in gamma -> wait_here: 3 distinct stacks among the workers (N/2, N/4,
N/4 threads), and the main thread's own.  The main thread stops at BP-ALL-WAITING once every
worker is waiting on the gate; after that it opens the gate and everybody ends.
"""
import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 64
gate = threading.Event()
ready = threading.Semaphore(0)


def wait_here(kind):
    ready.release()
    gate.wait()  # WAIT
    return kind


def alpha_inner():
    return wait_here("alpha")


def alpha():
    return alpha_inner()


def beta():
    return wait_here("beta")


def gamma():
    return wait_here("gamma")


def worker(i):
    kind = i % 4
    if kind in (0, 1):
        alpha()
    elif kind == 2:
        beta()
    else:
        gamma()


def checkpoint():
    return N  # BP-ALL-WAITING


threads = [threading.Thread(target=worker, args=(i,), name=f"worker-{i}") for i in range(N)]
for t in threads:
    t.start()
for _ in range(N):
    ready.acquire()
time.sleep(0.3)  # each worker is past release() and blocked in gate.wait()
checkpoint()
gate.set()
for t in threads:
    t.join()
print("all done", flush=True)
