"""time.sleep makes the order likely in practice, but it is not synchronisation."""
import threading
import time


class Flag:
    value = False


flag = Flag()


def setter():
    flag.value = True  # RACE


t = threading.Thread(target=setter)
t.start()
time.sleep(0.02)
print(flag.value)  # RACE
t.join()
