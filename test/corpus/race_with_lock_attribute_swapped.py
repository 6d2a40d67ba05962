"""`with self.lock:` reads the attribute `lock` (hook w, which lets the lock's __enter__
decide a read made just after a release).  Another thread replaces the lock without any
synchronisation: that write races with the read, whichever lock the read then found."""
import threading


class Box:
    def __init__(self):
        self.lock = threading.Lock()
        self.n = 0

    def bump(self):
        with self.lock:  # RACE
            self.n += 1


box = Box()


def swap():
    box.lock = threading.Lock()  # RACE


t = threading.Thread(target=swap)
t.start()
box.bump()
box.bump()
t.join()
print(box.n)
