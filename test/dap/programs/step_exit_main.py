"""The main thread is stepped out of the program while a non-daemon thread is still counting."""
import threading

started = threading.Event()
done = threading.Event()


def counter():
    n = 0
    started.set()
    while not done.is_set():
        n += 1


worker = threading.Thread(target=counter, name="counter")
worker.start()
started.wait()
print("main done")
done.set()  # BP-MAIN-LAST
