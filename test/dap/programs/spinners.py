"""N threads spinning in a pure-Python loop; spinner-3 calls checkpoint() now and then.

Prints "all spinning" once every thread is past the start barrier and in its loop.
"""
import sys
import threading

N = int(sys.argv[1]) if len(sys.argv) > 1 else 8
done = False
all_started = threading.Barrier(N)
ready = [False] * N


def checkpoint(count):
    return count  # BP-CHECKPOINT


def spin(idx):
    all_started.wait()
    ready[idx] = True
    if idx == 0:
        while not all(ready):
            pass
        print("all spinning", flush=True)
    if idx == 3:
        # Call checkpoint() only once the main thread is blocked in join(), in native code.
        main = threading.main_thread().ident
        while sys._current_frames()[main].f_code.co_name != "join":
            pass
    x = 0
    while not done:
        x += 1
        if idx == 3 and x % 50000 == 0:
            checkpoint(x)


threads = [threading.Thread(target=spin, args=(i,), name=f"spinner-{i}") for i in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
