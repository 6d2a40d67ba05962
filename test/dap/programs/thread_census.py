"""Prints what the program can see of its threads, and leaves Popen objects for shutdown."""

import subprocess
import sys
import threading

worker = threading.Thread(target=lambda: None, name="worker")
worker.start()
worker.join()
print("census", threading.active_count(), sorted(t.name for t in threading.enumerate()))
# Their __del__ runs while the interpreter shuts down, taking a (tracked) lock after module
# globals are gone.
leftovers = [subprocess.Popen([sys.executable, "-c", "pass"]) for _ in range(2)]
leftovers[0].wait()
leftovers[1].wait()
del leftovers[1]
