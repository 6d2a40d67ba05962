"""N threads spinning in pure Python until the debugger stops them; for pause latency.

    python spin.py THREADS SECONDS

Prints "ready" once every thread is running, then spins until SECONDS have passed.
"""
import sys
import threading
import time


def spin(deadline: float, started: threading.Barrier) -> None:
    started.wait()
    x = 0
    while time.monotonic() < deadline:
        x += 1


def main() -> None:
    n = int(sys.argv[1])
    seconds = float(sys.argv[2])
    deadline = time.monotonic() + seconds
    started = threading.Barrier(n + 1)
    threads = [threading.Thread(target=spin, args=(deadline, started), name=f"spinner-{k}") for k in range(n)]
    for t in threads:
        t.start()
    started.wait()
    print("ready", flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
