"""Reading what a task writes before calling result()."""
import threading
from concurrent.futures import ThreadPoolExecutor


class Progress:
    done = 0


progress = Progress()
running = threading.Event()
started = threading.Event()


def task():
    running.set()  # the executor has handed the task over: no later edge from main
    started.wait()
    progress.done = 1  # RACE
    return True


with ThreadPoolExecutor(max_workers=1) as ex:
    fut = ex.submit(task)
    running.wait()
    started.set()
    peek = progress.done  # RACE
    fut.result()
