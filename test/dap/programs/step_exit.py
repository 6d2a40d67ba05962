"""A short thread stepped out of its last frame while another thread spins."""
import threading

release = threading.Event()


def short():
    x = 1
    return x + 1  # BP-LAST


def spinner():
    n = 0
    while not release.is_set():
        n += 1  # SPIN


spin = threading.Thread(target=spinner, name="spinner")
last = threading.Thread(target=short, name="short")
spin.start()
last.start()
last.join()
release.set()
spin.join()
print("step exit done")
