"""The worker's writes happen before join() returns."""
import threading


class Result:
    value = 0


res = Result()


def work():
    res.value = 42


t = threading.Thread(target=work)
t.start()
t.join()
print(res.value)
