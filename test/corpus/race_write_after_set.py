"""The worker writes after signalling; the waiter's read is not ordered after that write."""
import threading


class Result:
    value = 0


res = Result()
ready = threading.Event()


def worker():
    ready.set()
    res.value = 1  # RACE


t = threading.Thread(target=worker)
t.start()
ready.wait()
print(res.value)  # RACE
t.join()
